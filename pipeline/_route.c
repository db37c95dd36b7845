/* The route through jieba's word DAG, in C: segment.Segmenter._route without a Python
 * string made and hashed for every piece of the text it looks up.
 *
 * build(logp, prefix) turns the segmenter's table {word or prefix: log probability, or
 * `prefix` for a prefix that is no word} into a trie; route(trie, s, logtotal) returns what
 * Segmenter._python_route returns for s, the same list of ints (tests compare the two).
 *
 * Optional: pipeline installs and cuts the same without it (segment.py falls back to the
 * Python route when this module was not compiled).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
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
    PyObject *table, *word, *number;
    double prefix;
    if (!PyArg_ParseTuple(args, "O!d", &PyDict_Type, &table, &prefix))
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

static PyObject *
route(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *capsule, *s, *result = NULL;
    double logtotal;
    if (!PyArg_ParseTuple(args, "OUd", &capsule, &s, &logtotal))
        return NULL;
    if (!PyCapsule_IsValid(capsule, CAPSULE)) {
        PyErr_SetString(PyExc_TypeError, "route() needs a trie made by build()");
        return NULL;
    }
    Trie *t = PyCapsule_GetPointer(capsule, CAPSULE);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    double *best = PyMem_Malloc((n + 1) * sizeof(double));
    Py_ssize_t *end = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    if (!best || !end) {
        PyErr_NoMemory();
        goto done;
    }
    best[n] = 0.0;
    end[n] = 0;
    for (Py_ssize_t k = n - 1; k >= 0; k--) {
        int found = 0;
        double score = 0.0;
        Py_ssize_t stop = k + 1, node = 0;
        /* every dictionary word starting at k: s[k:i] while it is in the table */
        for (Py_ssize_t i = k; i < n; i++) {
            node = find_child(t, node, PyUnicode_READ(kind, data, i));
            if (node < 0 || !t->known[node])
                break;
            double v = t->value[node];
            if (v != t->prefix) {
                v += best[i + 1];
                if (!found || v >= score) {  /* ties go to the longer word, as in jieba */
                    found = 1;
                    score = v;
                    stop = i + 1;
                }
            }
        }
        if (!found) {  /* unknown character: a word of its own with frequency 1 */
            score = best[k + 1] - logtotal;
            stop = k + 1;
        }
        best[k] = score;
        end[k] = stop;
    }
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

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "build(logp, prefix) -> the word table as a trie"},
    {"route", route, METH_VARARGS, "route(trie, s, logtotal) -> end[k] for every k of s"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_route", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__route(void)
{
    return PyModule_Create(&module);
}
