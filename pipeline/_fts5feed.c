/* Hands a text's packed index tokens to SQLite FTS5's xToken callback, in C and without
 * Python's GIL (optional, built by setup.py where a C compiler is; pipeline.fts has the same
 * loop in Python).
 *
 * The writer indexes ~3.4 million tokens per 1,000 documents. In Python each token is a
 * bytes slice and a cffi call into SQLite (~1.5 us): a tenth of a run spent on the writer's
 * thread, holding the GIL the extraction thread needs. Here it is a loop over the two bytes
 * objects of ``fts.IndexTokens``, and FTS5's own indexing work (which the xToken calls do)
 * runs beside the extraction on another core.
 *
 *     feed(x_token, ctx, words, flags) -> SQLite's return code (0: SQLITE_OK)
 *
 * ``x_token`` and ``ctx`` are the addresses FTS5 passed to the tokenizer's xTokenize;
 * ``words`` are the tokens joined by NUL and ``flags`` one byte each, as Python's
 * ``zip(words.split(b"\0"), flags)`` pairs them (stopping at the shorter).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef int (*x_token_fn)(void *ctx, int tflags, const char *token, int n_token, int start, int end);

static int
feed_tokens(x_token_fn x_token, void *ctx, const char *words, Py_ssize_t n_words,
            const unsigned char *flags, Py_ssize_t n_flags)
{
    const char *piece = words, *end = words + n_words;
    for (Py_ssize_t k = 0; k < n_flags; k++) {
        const char *nul = memchr(piece, 0, (size_t)(end - piece));
        const char *stop = nul ? nul : end;
        int rc = x_token(ctx, flags[k], piece, (int)(stop - piece), 0, 0);
        if (rc != 0)
            return rc;
        if (!nul)  /* the last token: split() yields no more pieces */
            break;
        piece = nul + 1;
    }
    return 0;
}

static PyObject *
feed(PyObject *Py_UNUSED(module), PyObject *args)
{
    unsigned long long x_token, ctx;
    Py_buffer words, flags;
    int rc;

    if (!PyArg_ParseTuple(args, "KKy*y*", &x_token, &ctx, &words, &flags))
        return NULL;
    /* the buffers stay valid without the GIL: both objects are held by the caller's frame */
    Py_BEGIN_ALLOW_THREADS
    rc = feed_tokens((x_token_fn)(uintptr_t)x_token, (void *)(uintptr_t)ctx, words.buf, words.len,
                     flags.buf, flags.len);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&words);
    PyBuffer_Release(&flags);
    return PyLong_FromLong(rc);
}

static PyMethodDef methods[] = {
    {"feed", feed, METH_VARARGS, "feed(x_token, ctx, words, flags) -> SQLite's return code"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fts5feed", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__fts5feed(void)
{
    return PyModule_Create(&module);
}
