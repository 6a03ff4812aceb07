/*
 * snapstore.chunker._fastcdc: the FastCDC 2020 scan loop.
 *
 * This file only finds cut points. Buffering, files, key handling and policy live in Python
 * (snapstore/chunker). The pure-Python twin in snapstore/chunker/pure.py implements the same
 * state machine and is the oracle the tests hold this code to.
 *
 * The algorithm is FastCDC 2020 as defined by the paper's reference and fastcdc-rs's `v2020`:
 * a gear rolling hash that starts at 0 after the first `min_size` bytes of each chunk
 * (cut-point skipping), a strict mask before `avg_size` and a loose one after it (normalized
 * chunking), two bytes per step (the first byte of a pair uses the table and mask shifted left by
 * one), and a forced cut at `max_size`. A match on a byte cuts *before* that byte. A pair is only
 * examined once both of its bytes are known, which is what makes the cut points independent of
 * how the stream is split into buffers, and equal to the batch algorithm's at end of input.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Documented limits of FastCDC 2020 (they match fastcdc-rs and pyfastcdc). */
#define MIN_SIZE_LOWER 64
#define MIN_SIZE_UPPER 1048576
#define AVG_SIZE_LOWER 256
#define AVG_SIZE_UPPER 4194304
#define MAX_SIZE_LOWER 1024
#define MAX_SIZE_UPPER 16777216
#define NORMALIZATION_UPPER 3
#define GEAR_ENTRIES 256

/* The mask table of FastCDC 2020, indexed by round(log2(avg_size)) +/- normalization level.
 * Entry i has i bits set, spread over the upper part of the hash. */
static const uint64_t MASKS[26] = {
    0, 0, 0, 0, 0,
    0x0000000001804110ULL, 0x0000000001803110ULL, 0x0000000018035100ULL,
    0x0000001800035300ULL, 0x0000019000353000ULL, 0x0000590003530000ULL,
    0x0000d90003530000ULL, 0x0000d90103530000ULL, 0x0000d90303530000ULL,
    0x0000d90313530000ULL, 0x0000d90f03530000ULL, 0x0000d90303537000ULL,
    0x0000d90703537000ULL, 0x0000d90707537000ULL, 0x0000d91707537000ULL,
    0x0000d91747537000ULL, 0x0000d91767537000ULL, 0x0000d93767537000ULL,
    0x0000d93777537000ULL, 0x0000d93777577000ULL, 0x0000db3777577000ULL,
};

/* Buffers shorter than this are scanned without releasing the GIL: the release costs more. */
#define GIL_RELEASE_THRESHOLD 8192

typedef struct {
    uint64_t gear[GEAR_ENTRIES];
    uint64_t gear_ls[GEAR_ENTRIES];
    uint64_t mask_s, mask_l, mask_s_ls, mask_l_ls;
    uint64_t skip_end;  /* chunk position of the first hashed byte (even) */
    uint64_t small_end; /* chunk position where the loose mask takes over (even) */
    uint64_t pair_end;  /* chunk position after the last pair examined (even) */
    uint64_t max_size;
} Params;

typedef struct {
    uint64_t cursor;      /* stream offset of the next byte not yet consumed */
    uint64_t chunk_start; /* stream offset where the current chunk begins */
    uint64_t hash;
    int has_pending;      /* the first byte of a pair arrived, its second has not */
    uint8_t pending;
} State;

typedef struct {
    PyObject_HEAD
    Params params;
    State state;
    Py_ssize_t min_size, avg_size, max_size;
    int normalization;
    int busy; /* guards against two threads feeding one scanner at once */
} ScannerObject;

/* Growable list of cut offsets, filled without the GIL. */
typedef struct {
    uint64_t *items;
    size_t len, cap;
} Cuts;

static int cuts_push(Cuts *cuts, uint64_t offset) {
    if (cuts->len == cuts->cap) {
        size_t cap = cuts->cap ? cuts->cap * 2 : 16;
        uint64_t *items = PyMem_RawRealloc(cuts->items, cap * sizeof(uint64_t));
        if (items == NULL) return -1;
        cuts->items = items;
        cuts->cap = cap;
    }
    cuts->items[cuts->len++] = offset;
    return 0;
}

static void cut_at(State *s, uint64_t offset, Cuts *cuts, int *failed) {
    if (cuts_push(cuts, offset) < 0) *failed = 1;
    s->chunk_start = offset;
    s->hash = 0;
}

/* A chunk that reached max_size ends there, whatever the hash says. */
static void cut_if_full(const Params *p, State *s, Cuts *cuts, int *failed) {
    if (s->cursor - s->chunk_start == p->max_size) cut_at(s, s->cursor, cuts, failed);
}

/* Examine one pair (b0 at chunk position pos, b1 after it); returns the chunk length to cut at,
 * or 0 for no cut. */
static inline uint64_t examine_pair(const Params *p, State *s, uint64_t pos, uint8_t b0, uint8_t b1) {
    int small = pos < p->small_end;
    uint64_t h = (s->hash << 2) + p->gear_ls[b0];
    if ((h & (small ? p->mask_s_ls : p->mask_l_ls)) == 0) {
        s->hash = h;
        return pos;
    }
    h += p->gear[b1];
    s->hash = h;
    if ((h & (small ? p->mask_s : p->mask_l)) == 0) return pos + 1;
    return 0;
}

/* The hot loop: `npairs` whole pairs at `data`, one mask pair. Returns the byte index in `data`
 * to cut before, or -1 with the hash carried in *hash. */
static inline Py_ssize_t scan_pairs(const uint8_t *data, size_t npairs, uint64_t *hash,
                                    const uint64_t *gear, const uint64_t *gear_ls, uint64_t mask,
                                    uint64_t mask_ls) {
    uint64_t h = *hash;
    const uint8_t *q = data;
    const uint8_t *end = data + 2 * npairs;

    for (; q < end; q += 2) {
        h = (h << 2) + gear_ls[q[0]];
        if (__builtin_expect((h & mask_ls) == 0, 0)) {
            *hash = h;
            return q - data;
        }
        h += gear[q[1]];
        if (__builtin_expect((h & mask) == 0, 0)) {
            *hash = h;
            return q - data + 1;
        }
    }
    *hash = h;
    return -1;
}

/* Consume `n` bytes of the stream. Runs without the GIL. Returns -1 on allocation failure. */
static int scan(const Params *p, State *s, const uint8_t *data, size_t n, Cuts *cuts) {
    size_t i = 0;
    int failed = 0;
    if (s->has_pending && n > 0) {
        uint64_t pos = s->cursor - 1 - s->chunk_start;
        uint64_t len = examine_pair(p, s, pos, s->pending, data[0]);
        s->has_pending = 0;
        s->cursor += 1;
        i = 1;
        if (len)
            cut_at(s, s->chunk_start + len, cuts, &failed);
        else
            cut_if_full(p, s, cuts, &failed);
    }
    while (i < n && !failed) {
        uint64_t pos = s->cursor - s->chunk_start;
        size_t avail = n - i;
        if (pos < p->skip_end || pos >= p->pair_end) {
            /* Bytes that are not hashed: before the first pair, or the odd byte before max. */
            uint64_t target = pos < p->skip_end ? p->skip_end : p->max_size;
            uint64_t step = target - pos;
            if (step > avail) step = avail;
            i += step;
            s->cursor += step;
            cut_if_full(p, s, cuts, &failed);
            continue;
        }
        uint64_t region_end = pos < p->small_end ? p->small_end : p->pair_end;
        size_t npairs = (size_t)((region_end - pos) / 2);
        if (npairs > avail / 2) npairs = avail / 2;
        if (npairs == 0) {
            /* One byte left in this buffer: keep it until its partner arrives. */
            s->pending = data[i];
            s->has_pending = 1;
            s->cursor += 1;
            i += 1;
            break;
        }
        int small = pos < p->small_end;
        Py_ssize_t hit = scan_pairs(data + i, npairs, &s->hash, p->gear, p->gear_ls,
                                    small ? p->mask_s : p->mask_l,
                                    small ? p->mask_s_ls : p->mask_l_ls);
        if (hit >= 0) {
            /* The matching byte has been consumed; it starts the next chunk. */
            s->cursor += (uint64_t)hit + 1;
            i += (size_t)hit + 1;
            cut_at(s, s->cursor - 1, cuts, &failed);
        } else {
            s->cursor += 2 * npairs;
            i += 2 * npairs;
            cut_if_full(p, s, cuts, &failed);
        }
    }
    return failed ? -1 : 0;
}

static PyObject *cuts_to_list(const Cuts *cuts) {
    PyObject *list = PyList_New((Py_ssize_t)cuts->len);
    if (list == NULL) return NULL;
    for (size_t k = 0; k < cuts->len; k++) {
        PyObject *v = PyLong_FromUnsignedLongLong(cuts->items[k]);
        if (v == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)k, v);
    }
    return list;
}

static int load_gear(Params *p, PyObject *table) {
    PyObject *seq = PySequence_Fast(table, "gear must be a sequence of 256 integers");
    if (seq == NULL) return -1;
    if (PySequence_Fast_GET_SIZE(seq) != GEAR_ENTRIES) {
        PyErr_Format(PyExc_ValueError, "gear table must have 256 entries (got %zd)",
                     PySequence_Fast_GET_SIZE(seq));
        Py_DECREF(seq);
        return -1;
    }
    for (int k = 0; k < GEAR_ENTRIES; k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, k);
        if (!PyLong_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "gear table entries must be integers");
            Py_DECREF(seq);
            return -1;
        }
        int overflow = 0;
        /* Range check through a signed conversion first so that negatives are reported. */
        long long as_signed = PyLong_AsLongLongAndOverflow(item, &overflow);
        if ((overflow == 0 && as_signed < 0) || overflow < 0) {
            PyErr_SetString(PyExc_ValueError, "gear table entries must be in range 0..2**64-1");
            Py_DECREF(seq);
            return -1;
        }
        unsigned long long v = PyLong_AsUnsignedLongLong(item);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "gear table entries must be in range 0..2**64-1");
            Py_DECREF(seq);
            return -1;
        }
        p->gear[k] = (uint64_t)v;
        p->gear_ls[k] = (uint64_t)v << 1;
    }
    Py_DECREF(seq);
    return 0;
}

static int check_range(const char *name, Py_ssize_t value, Py_ssize_t lower, Py_ssize_t upper) {
    if (value < lower || value > upper) {
        PyErr_Format(PyExc_ValueError, "%s must be within %zd..%zd (got %zd)", name, lower, upper,
                     value);
        return -1;
    }
    return 0;
}

static int Scanner_init(ScannerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"min_size", "avg_size", "max_size", "normalization", "gear", NULL};
    Py_ssize_t min_size, avg_size, max_size;
    int normalization;
    PyObject *gear;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nnn$iO", kwlist, &min_size, &avg_size,
                                     &max_size, &normalization, &gear))
        return -1;
    if (check_range("min_size", min_size, MIN_SIZE_LOWER, MIN_SIZE_UPPER) < 0 ||
        check_range("avg_size", avg_size, AVG_SIZE_LOWER, AVG_SIZE_UPPER) < 0 ||
        check_range("max_size", max_size, MAX_SIZE_LOWER, MAX_SIZE_UPPER) < 0 ||
        check_range("normalization", normalization, 0, NORMALIZATION_UPPER) < 0)
        return -1;
    if (min_size > avg_size || avg_size > max_size) {
        PyErr_Format(PyExc_ValueError,
                     "sizes must satisfy min_size <= avg_size <= max_size (got %zd, %zd, %zd)",
                     min_size, avg_size, max_size);
        return -1;
    }
    Params p;
    memset(&p, 0, sizeof p);
    if (load_gear(&p, gear) < 0) return -1;
    int bits = (int)lround(log2((double)avg_size));
    p.mask_s = MASKS[bits + normalization];
    p.mask_l = MASKS[bits - normalization];
    p.mask_s_ls = p.mask_s << 1;
    p.mask_l_ls = p.mask_l << 1;
    p.skip_end = (uint64_t)(min_size / 2) * 2;
    p.small_end = (uint64_t)(avg_size / 2) * 2;
    p.pair_end = (uint64_t)(max_size / 2) * 2;
    p.max_size = (uint64_t)max_size;
    self->params = p;
    memset(&self->state, 0, sizeof self->state);
    self->min_size = min_size;
    self->avg_size = avg_size;
    self->max_size = max_size;
    self->normalization = normalization;
    self->busy = 0;
    return 0;
}

static int acquire(ScannerObject *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Scanner is being used by another thread");
        return -1;
    }
    self->busy = 1;
    return 0;
}

static PyObject *Scanner_feed(ScannerObject *self, PyObject *data) {
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_C_CONTIGUOUS) < 0) {
        if (PyErr_ExceptionMatches(PyExc_BufferError) || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "feed() needs a C-contiguous buffer such as bytes, bytearray, "
                         "memoryview or mmap, not %.100s",
                         Py_TYPE(data)->tp_name);
        }
        return NULL;
    }
    if (acquire(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Cuts cuts = {NULL, 0, 0};
    int rc;
    if (view.len >= GIL_RELEASE_THRESHOLD) {
        Py_BEGIN_ALLOW_THREADS
        rc = scan(&self->params, &self->state, view.buf, (size_t)view.len, &cuts);
        Py_END_ALLOW_THREADS
    } else {
        rc = scan(&self->params, &self->state, view.buf, (size_t)view.len, &cuts);
    }
    self->busy = 0;
    PyBuffer_Release(&view);
    PyObject *result = rc < 0 ? PyErr_NoMemory() : cuts_to_list(&cuts);
    PyMem_RawFree(cuts.items);
    return result;
}

static PyObject *Scanner_finish(ScannerObject *self, PyObject *Py_UNUSED(ignored)) {
    if (acquire(self) < 0) return NULL;
    uint64_t end = self->state.cursor;
    int tail = end > self->state.chunk_start;
    memset(&self->state, 0, sizeof self->state);
    self->busy = 0;
    if (!tail) return PyList_New(0);
    return Py_BuildValue("[K]", (unsigned long long)end);
}

static PyObject *Scanner_get_offset(ScannerObject *self, void *Py_UNUSED(closure)) {
    return PyLong_FromUnsignedLongLong(self->state.cursor);
}

static PyObject *Scanner_get_masks(ScannerObject *self, void *Py_UNUSED(closure)) {
    return Py_BuildValue("(KK)", (unsigned long long)self->params.mask_s,
                         (unsigned long long)self->params.mask_l);
}

static PyObject *Scanner_get_gear(ScannerObject *self, void *Py_UNUSED(closure)) {
    PyObject *t = PyTuple_New(GEAR_ENTRIES);
    if (t == NULL) return NULL;
    for (int k = 0; k < GEAR_ENTRIES; k++) {
        PyObject *v = PyLong_FromUnsignedLongLong(self->params.gear[k]);
        if (v == NULL) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, k, v);
    }
    return t;
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_O,
     "feed(data) -> list[int]\n\nScan the next bytes of the stream (any C-contiguous buffer) and "
     "return the stream offsets of the chunk ends found."},
    {"finish", (PyCFunction)Scanner_finish, METH_NOARGS,
     "finish() -> list[int]\n\nEnd the stream: return the end of the last chunk (if any bytes "
     "remain) and reset the scanner for a new stream."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Scanner_members[] = {
    {"min_size", T_PYSSIZET, offsetof(ScannerObject, min_size), READONLY, NULL},
    {"avg_size", T_PYSSIZET, offsetof(ScannerObject, avg_size), READONLY, NULL},
    {"max_size", T_PYSSIZET, offsetof(ScannerObject, max_size), READONLY, NULL},
    {"normalization", T_INT, offsetof(ScannerObject, normalization), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Scanner_getset[] = {
    {"offset", (getter)Scanner_get_offset, NULL, "bytes consumed in the current stream", NULL},
    {"masks", (getter)Scanner_get_masks, NULL, "(strict mask, loose mask)", NULL},
    {"gear", (getter)Scanner_get_gear, NULL, "the gear table in use", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "snapstore.chunker._fastcdc.Scanner",
    .tp_basicsize = sizeof(ScannerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scanner(min_size, avg_size, max_size, *, normalization, gear)\n\n"
              "Streaming FastCDC 2020 cut-point scanner.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_methods = Scanner_methods,
    .tp_members = Scanner_members,
    .tp_getset = Scanner_getset,
};

static struct PyModuleDef fastcdc_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "snapstore.chunker._fastcdc",
    .m_doc = "FastCDC 2020 scan loop (see snapstore.chunker).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fastcdc(void) {
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&fastcdc_module);
    if (m == NULL) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
