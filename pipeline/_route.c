/* The route through jieba's word DAG, in C: segment.Segmenter._route without a Python
 * string made and hashed for every piece of the text it looks up.
 *
 * build(logp, prefix) turns the segmenter's table {word or prefix: log probability, or
 * `prefix` for a prefix that is no word} into a trie; route(trie, s, logtotal) returns what
 * Segmenter._python_route returns for s, the same list of ints (tests compare the two).
 * cut(trie, s, logtotal, plain, hmm) cuts a whole text into words as Segmenter._python_cut
 * does (its blocks, the route through each, the words along it, interned), the plain words
 * if `plain`, the words with jieba's HMM if `hmm` is (freq, memo, cut_run): without a Python
 * generator step, slice and list append per word, nor a Python call per run the HMM has
 * cut before.
 *
 * Optional: pipeline installs and cuts the same without it (segment.py falls back to the
 * Python route and cut when this module was not compiled).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CAPSULE "jingyan.route.trie"

typedef struct {
    /* node 0 is the root; a node stands for a string: its parent's plus one character */
    double *value;          /* log probability of the node's string, or the prefix marker */
    unsigned char *known;   /* 1 when the node's string is a key of the table */
    Py_ssize_t nodes, node_cap;
    /* children: open addressing, key = parent node << 21 | character (+1: 0 is empty) */
    uint64_t *keys;
    uint32_t *child;
    size_t slots, used;
    double prefix;
} Trie;

static size_t
slot_of(uint64_t key, size_t slots)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 17) & (slots - 1);
}

static Py_ssize_t
find_child(const Trie *t, Py_ssize_t node, Py_UCS4 ch)
{
    uint64_t key = (((uint64_t)node << 21) | ch) + 1;
    size_t i = slot_of(key, t->slots);
    while (t->keys[i]) {
        if (t->keys[i] == key)
            return t->child[i];
        i = (i + 1) & (t->slots - 1);
    }
    return -1;
}

static int
grow_slots(Trie *t)
{
    size_t slots = t->slots * 2;
    uint64_t *keys = PyMem_Calloc(slots, sizeof(uint64_t));
    uint32_t *child = PyMem_Malloc(slots * sizeof(uint32_t));
    if (!keys || !child) {
        PyMem_Free(keys);
        PyMem_Free(child);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < t->slots; i++) {
        if (!t->keys[i])
            continue;
        size_t j = slot_of(t->keys[i], slots);
        while (keys[j])
            j = (j + 1) & (slots - 1);
        keys[j] = t->keys[i];
        child[j] = t->child[i];
    }
    PyMem_Free(t->keys);
    PyMem_Free(t->child);
    t->keys = keys;
    t->child = child;
    t->slots = slots;
    return 0;
}

static Py_ssize_t
add_child(Trie *t, Py_ssize_t node, Py_UCS4 ch)
{
    if ((t->used + 1) * 2 > t->slots && grow_slots(t) < 0)
        return -1;
    if (t->nodes == t->node_cap) {
        Py_ssize_t cap = t->node_cap * 2;
        double *value = PyMem_Realloc(t->value, cap * sizeof(double));
        if (value)
            t->value = value;
        unsigned char *known = PyMem_Realloc(t->known, cap);
        if (known)
            t->known = known;
        if (!value || !known) {
            PyErr_NoMemory();
            return -1;
        }
        t->node_cap = cap;
    }
    if (t->nodes >= UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "word table too large");
        return -1;
    }
    Py_ssize_t id = t->nodes++;
    t->value[id] = 0.0;
    t->known[id] = 0;
    uint64_t key = (((uint64_t)node << 21) | ch) + 1;
    size_t i = slot_of(key, t->slots);
    while (t->keys[i])
        i = (i + 1) & (t->slots - 1);
    t->keys[i] = key;
    t->child[i] = (uint32_t)id;
    t->used++;
    return id;
}

static void
free_trie(Trie *t)
{
    if (!t)
        return;
    PyMem_Free(t->value);
    PyMem_Free(t->known);
    PyMem_Free(t->keys);
    PyMem_Free(t->child);
    PyMem_Free(t);
}

static void
capsule_free(PyObject *capsule)
{
    free_trie(PyCapsule_GetPointer(capsule, CAPSULE));
}

static PyObject *
build(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *table, *word, *number, *total = Py_None;
    double prefix, logtotal = 0.0;
    /* with logtotal, the table holds jieba's frequencies and each value is worked out here as
     * segment.Segmenter._logp works it out (log(f) - logtotal, PREFIX for f = 0): making that
     * 580,000-entry dict in Python was a third of a process's segmenter start-up */
    if (!PyArg_ParseTuple(args, "O!d|O", &PyDict_Type, &table, &prefix, &total))
        return NULL;
    int frequencies = total != Py_None;
    if (frequencies && (logtotal = PyFloat_AsDouble(total)) == -1.0 && PyErr_Occurred())
        return NULL;
    Trie *t = PyMem_Calloc(1, sizeof(Trie));
    if (!t)
        return PyErr_NoMemory();
    t->prefix = prefix;
    t->node_cap = 1024;
    t->slots = 2048;
    t->value = PyMem_Malloc(t->node_cap * sizeof(double));
    t->known = PyMem_Malloc(t->node_cap);
    t->keys = PyMem_Calloc(t->slots, sizeof(uint64_t));
    t->child = PyMem_Malloc(t->slots * sizeof(uint32_t));
    if (!t->value || !t->known || !t->keys || !t->child) {
        free_trie(t);
        return PyErr_NoMemory();
    }
    t->nodes = 1;
    t->value[0] = 0.0;
    t->known[0] = 0;  /* the empty string is never looked up */
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &word, &number)) {
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "word table keys must be str");
            free_trie(t);
            return NULL;
        }
        double v = PyFloat_AsDouble(number);
        if (v == -1.0 && PyErr_Occurred()) {
            free_trie(t);
            return NULL;
        }
        if (frequencies)
            v = v != 0.0 ? log(v) - logtotal : prefix;
        Py_ssize_t n = PyUnicode_GET_LENGTH(word), node = 0;
        if (n == 0)
            continue;
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            Py_ssize_t next = find_child(t, node, ch);
            if (next < 0 && (next = add_child(t, node, ch)) < 0) {
                free_trie(t);
                return NULL;
            }
            node = next;
        }
        t->value[node] = v;
        t->known[node] = 1;
    }
    PyObject *capsule = PyCapsule_New(t, CAPSULE, capsule_free);
    if (!capsule)
        free_trie(t);
    return capsule;
}

/* for k in [a, b), end[k - a]: where the first word of the most probable route through
 * s[k:b] ends (an offset into s), and best[k - a] its log probability (best[b - a] = 0) */
static void
route_block(const Trie *t, int kind, const void *data, Py_ssize_t a, Py_ssize_t b, double logtotal,
            double *best, Py_ssize_t *end)
{
    best[b - a] = 0.0;
    for (Py_ssize_t k = b - 1; k >= a; k--) {
        int found = 0;
        double score = 0.0;
        Py_ssize_t stop = k + 1, node = 0;
        /* every dictionary word starting at k: s[k:i] while it is in the table */
        for (Py_ssize_t i = k; i < b; i++) {
            node = find_child(t, node, PyUnicode_READ(kind, data, i));
            if (node < 0 || !t->known[node])
                break;
            double v = t->value[node];
            if (v != t->prefix) {
                v += best[i + 1 - a];
                if (!found || v >= score) {  /* ties go to the longer word, as in jieba */
                    found = 1;
                    score = v;
                    stop = i + 1;
                }
            }
        }
        if (!found) {  /* unknown character: a word of its own with frequency 1 */
            score = best[k + 1 - a] - logtotal;
            stop = k + 1;
        }
        best[k - a] = score;
        end[k - a] = stop;
    }
}

static Trie *
trie_of(PyObject *capsule)
{
    if (!PyCapsule_IsValid(capsule, CAPSULE)) {
        PyErr_SetString(PyExc_TypeError, "needs a trie made by build()");
        return NULL;
    }
    return PyCapsule_GetPointer(capsule, CAPSULE);
}

static PyObject *
route(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *capsule, *s, *result = NULL;
    double logtotal;
    if (!PyArg_ParseTuple(args, "OUd", &capsule, &s, &logtotal))
        return NULL;
    Trie *t = trie_of(capsule);
    if (!t)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    double *best = PyMem_Malloc((n + 1) * sizeof(double));
    Py_ssize_t *end = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    if (!best || !end) {
        PyErr_NoMemory();
        goto done;
    }
    route_block(t, PyUnicode_KIND(s), PyUnicode_DATA(s), 0, n, logtotal, best, end);
    end[n] = 0;
    result = PyList_New(n + 1);
    if (!result)
        goto done;
    for (Py_ssize_t k = 0; k <= n; k++) {
        PyObject *x = PyLong_FromSsize_t(end[k]);
        if (!x) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, k, x);
    }
done:
    PyMem_Free(best);
    PyMem_Free(end);
    return result;
}

/* what jieba may join into a word (segment.WORD_CHAR): Han characters, Latin letters,
 * digits and +#&._%- */
static int
is_word_char(Py_UCS4 ch)
{
    if (ch >= 0x4E00 && ch <= 0x9FD5)
        return 1;
    if (ch >= 0x80)
        return 0;
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
           || (ch != 0 && strchr("+#&._%-", (int)ch) != NULL);
}

static int
is_latin(Py_UCS4 ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* s[a:b], interned, appended to each list that is not NULL */
static int
append_piece(PyObject *s, Py_ssize_t a, Py_ssize_t b, PyObject *first, PyObject *second)
{
    PyObject *word = PyUnicode_Substring(s, a, b);
    if (!word)
        return -1;
    PyUnicode_InternInPlace(&word);
    int rc = (first && PyList_Append(first, word) < 0) || (second && PyList_Append(second, word) < 0) ? -1 : 0;
    Py_DECREF(word);
    return rc;
}

/* what the HMM's list needs besides the route: jieba's word table (a run the dictionary
 * knows as a word keeps its characters apart), the runs the HMM has cut before and what
 * they became, and the Python function that cuts a run not seen before */
typedef struct {
    PyObject *freq, *memo, *cut_run;
} Hmm;

/* a run s[a:b] of one-character words, for the HMM's list: one character as it is, a
 * dictionary word as its characters, any other run as the HMM cuts it (Segmenter._singles) */
static int
append_singles(PyObject *s, Py_ssize_t a, Py_ssize_t b, const Hmm *hmm, PyObject *out)
{
    if (b - a == 1)
        return append_piece(s, a, b, out, NULL);
    PyObject *run = PyUnicode_Substring(s, a, b);
    if (!run)
        return -1;
    PyObject *freq = PyDict_GetItemWithError(hmm->freq, run);  /* borrowed */
    int known = freq ? PyObject_IsTrue(freq) : (PyErr_Occurred() ? -1 : 0);
    if (known) {
        Py_DECREF(run);
        if (known < 0)
            return -1;
        for (Py_ssize_t i = a; i < b; i++)
            if (append_piece(s, i, i + 1, out, NULL) < 0)
                return -1;
        return 0;
    }
    PyObject *words = PyDict_GetItemWithError(hmm->memo, run);  /* borrowed */
    if (words)
        Py_INCREF(words);
    else if (!PyErr_Occurred())
        words = PyObject_CallOneArg(hmm->cut_run, run);
    Py_DECREF(run);
    if (!words)
        return -1;
    Py_ssize_t size = PyList_GET_SIZE(out);
    int rc = PyList_SetSlice(out, size, size, words);
    Py_DECREF(words);
    return rc;
}

/* the words of the routed block s[a:b] (end as route_block leaves it): with_hmm as
 * Segmenter._with_hmm, plain as Segmenter._plain (single Latin letters and digits joined) */
static int
block_words(PyObject *s, int kind, const void *data, Py_ssize_t a, Py_ssize_t b, const Py_ssize_t *end,
            const Hmm *hmm, PyObject *with_hmm, PyObject *plain)
{
    Py_ssize_t x = a, run = a, latin = -1;
    while (x < b) {
        Py_ssize_t y = end[x - a];
        if (y - x == 1) {  /* a one-character word: part of a run for the HMM */
            if (plain) {
                if (is_latin(PyUnicode_READ(kind, data, x))) {
                    if (latin < 0)
                        latin = x;
                }
                else {
                    if (latin >= 0 && append_piece(s, latin, x, plain, NULL) < 0)
                        return -1;
                    latin = -1;
                    if (append_piece(s, x, y, plain, NULL) < 0)
                        return -1;
                }
            }
            x = y;
            continue;
        }
        if (latin >= 0 && append_piece(s, latin, x, plain, NULL) < 0)
            return -1;
        latin = -1;
        if (with_hmm && x > run && append_singles(s, run, x, hmm, with_hmm) < 0)
            return -1;
        if (append_piece(s, x, y, with_hmm, plain) < 0)
            return -1;
        x = run = y;
    }
    if (latin >= 0 && append_piece(s, latin, b, plain, NULL) < 0)
        return -1;
    if (with_hmm && b > run && append_singles(s, run, b, hmm, with_hmm) < 0)
        return -1;
    return 0;
}

static PyObject *
cut(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *capsule, *s, *hmm_args = Py_None, *with_hmm = NULL, *plain = NULL, *result = NULL;
    double logtotal;
    int want_plain;
    Hmm hmm = {NULL, NULL, NULL};
    if (!PyArg_ParseTuple(args, "OUdp|O", &capsule, &s, &logtotal, &want_plain, &hmm_args))
        return NULL;
    Trie *t = trie_of(capsule);
    if (!t)
        return NULL;
    if (hmm_args != Py_None) {
        if (!PyTuple_Check(hmm_args)) {
            PyErr_SetString(PyExc_TypeError, "hmm must be None or a tuple (freq, memo, cut_run)");
            return NULL;
        }
        if (!PyArg_ParseTuple(hmm_args, "O!O!O", &PyDict_Type, &hmm.freq, &PyDict_Type, &hmm.memo, &hmm.cut_run))
            return NULL;
        if (!PyCallable_Check(hmm.cut_run)) {
            PyErr_SetString(PyExc_TypeError, "cut_run must be callable");
            return NULL;
        }
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    /* the route of one block at a time, as long as the longest block so far (not the text:
     * 16 bytes a character of a whole document's text was more than its list of words) */
    double *best = NULL;
    Py_ssize_t *end = NULL, cap = 0;
    if ((hmm.freq && !(with_hmm = PyList_New(0))) || (want_plain && !(plain = PyList_New(0))))
        goto done;
    Py_ssize_t k = 0;
    while (k < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, k);
        if (is_word_char(ch)) {  /* a block to segment */
            Py_ssize_t b = k + 1;
            while (b < n && is_word_char(PyUnicode_READ(kind, data, b)))
                b++;
            if (b - k >= cap) {
                cap = Py_MAX(2 * cap, b - k + 1);
                PyMem_Free(best);
                PyMem_Free(end);
                best = PyMem_Malloc(cap * sizeof(double));
                end = PyMem_Malloc(cap * sizeof(Py_ssize_t));
                if (!best || !end) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
            route_block(t, kind, data, k, b, logtotal, best, end);
            if (block_words(s, kind, data, k, b, end, &hmm, with_hmm, plain) < 0)
                goto done;
            k = b;
        }
        else {  /* punctuation and spaces: a word each, a \r\n one word, as jieba's re_skip */
            Py_ssize_t w = (ch == '\r' && k + 1 < n && PyUnicode_READ(kind, data, k + 1) == '\n') ? 2 : 1;
            if (append_piece(s, k, k + w, with_hmm, plain) < 0)
                goto done;
            k += w;
        }
    }
    result = PyTuple_Pack(2, with_hmm ? with_hmm : Py_None, plain ? plain : Py_None);
done:
    Py_XDECREF(with_hmm);
    Py_XDECREF(plain);
    PyMem_Free(best);
    PyMem_Free(end);
    return result;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "build(logp, prefix[, logtotal]) -> the word table as a trie (with logtotal: of frequencies)"},
    {"route", route, METH_VARARGS, "route(trie, s, logtotal) -> end[k] for every k of s"},
    {"cut", cut, METH_VARARGS,
     "cut(trie, s, logtotal, plain, hmm=None) -> (the words with the HMM or None, the plain words or None)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_route", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__route(void)
{
    return PyModule_Create(&module);
}
