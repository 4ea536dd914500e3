/* Optional compiled kernels for the boilerplate line model (cleaner/boilerplate/features.py, model.py,
 * rules.py, __init__.py: the "boilerplate", "boilerplate s6" and "boilerplate s7" blocks) and the garble stage's
 * featuriser and sentence CNN (cleaner/garble/vec.py, nn.py: the "garble" block, with its own
 * GARBLE_ABI; tests/garble/test_nn.py and test_vec.py compare those with numpy).
 *
 * Why: a dev page is ~10 kB, and the numpy path spends most of its time in the fixed cost of
 * ~300 small array operations per page, not in arithmetic.  These loops do the per-character
 * pass of the line features and the forest evaluation in one pass each.  They compute exactly
 * what the numpy path computes (integer counts, the same comparisons, leaf values summed tree by
 * tree in the same order), so the features and scores are the same to the bit; every floating
 * point formula (divisions, logarithms) stays in numpy.  The module uses only the buffer
 * protocol (no numpy headers), so it builds with a C compiler and the Python headers alone; when
 * it does not build, the numpy path runs (setup.py marks it optional).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
/* SSE2 with 64-bit lane extraction (_mm_cvtsi128_si64) exists on x86-64 only */
#if defined(__SSE2__) && (defined(__x86_64__) || defined(_M_X64))
#define CLEANER_SSE2 1
#include <emmintrin.h>
#endif
/* a prefetch hint: GCC/Clang's builtin, MSVC's intrinsic on x86/x64, else nothing (a hint only: no result changes) */
#if defined(__GNUC__) || defined(__clang__)
#define CL_PREFETCH(p) __builtin_prefetch(p)
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <xmmintrin.h>
#define CL_PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define CL_PREFETCH(p) ((void)(p))
#endif
/* MSVC knows C99's restrict only as __restrict outside /std:c11 */
#if defined(_MSC_VER) && !defined(__cplusplus)
#define restrict __restrict
#endif
/* Bumped whenever a function's arguments or results change: features.py refuses a stale build. */
#define CLEANER_NATIVE_ABI 6
/* The garble kernels' own layout version (cleaner/garble/nn.py checks it), apart from the boilerplate ones. */
#define CLEANER_GARBLE_ABI 7

/* a * b for sizes, or -1 when either is negative or the product would overflow */
static Py_ssize_t size_mul(Py_ssize_t a, Py_ssize_t b) {
    if (a < 0 || b < 0) return -1;
    if (b && a > PY_SSIZE_T_MAX / b) return -1;
    return a * b;
}

static int get_buf(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t min_items, int writable,
                   const char *what) {
    if (min_items < 0 || min_items > PY_SSIZE_T_MAX / itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: negative or overflowing size", what);
        return -1;
    }
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) return -1;
    if (view->itemsize != itemsize || view->len < min_items * itemsize ||
        ((uintptr_t)view->buf % (uintptr_t)itemsize) != 0) {
        PyErr_Format(PyExc_ValueError, "%s: wrong item size, too short or misaligned", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* char_pass: in the "boilerplate s7" block (one loop per text kind, packed class counters, the
 * lower-cased page in the same pass). */

/* A token in the hash table of token_columns: its span in the text, its first position. */
typedef struct {
    Py_ssize_t start, len, first;
    uint64_t hash;
} slot_t;

/* FNV-1a over code points: token_columns' token hash (vocab_filter must give the same) and line_keys2's key hash */
#define FNV1A_INIT 1469598103934665603ULL
static inline uint64_t fnv1a(uint64_t h, Py_UCS4 c) { return (h ^ (uint64_t)c) * 1099511628211ULL; }

/* token_columns(text, vocab, wline, wlen, n, stop, chrome, month, byline, ids, counts, content, filter) -> n_tokens
 *
 * The whitespace-separated tokens of `text` (as str.split() cuts them), each given the index of its
 * first occurrence in the token sequence (ids, int64), as `first_seen.setdefault(token, position)`
 * numbers them; and what features._base derives from the tokens: each distinct token's vocabulary
 * bits (vocab: str -> int, looked up once per distinct token), then per line (counts: (n, 4)
 * float64, zeroed by the caller) the tokens with the stop, chrome and month bits and the lines
 * whose first token has the byline bit; content (uint8 per token): no stop bit and 3+ characters
 * (wlen).  wline: each token's line (int64, non-decreasing).
 * filter (s8a): None, or vocab_filter's bitmap of the vocabulary's words (uint64, a power of two of
 * them): a token whose bit is clear is in no vocabulary, so no str is made for it and no lookup is done.
 */
static PyObject *token_columns(PyObject *self, PyObject *args) {
    PyObject *text, *vocab, *o_wline, *o_wlen, *o_ids, *o_counts, *o_content, *o_filter;
    Py_ssize_t n;
    long b_stop, b_chrome, b_month, b_byline;
    if (!PyArg_ParseTuple(args, "UO!OOnllllOOOO", &text, &PyDict_Type, &vocab, &o_wline, &o_wlen, &n, &b_stop,
                          &b_chrome, &b_month, &b_byline, &o_ids, &o_counts, &o_content, &o_filter))
        return NULL;
    Py_buffer bl = {0}, bn = {0}, bi = {0}, bc = {0}, bt = {0}, bf = {0};  /* obj NULL: releasing is a no-op */
    const uint64_t *filt = NULL;
    uint64_t fmask = 0;
    PyObject *result = NULL;
    slot_t *slots = NULL;
    long *codes = NULL;
    if (get_buf(o_wline, &bl, 8, 0, 0, "wline") < 0) goto done;
    Py_ssize_t k = bl.len / 8;
    if (get_buf(o_wlen, &bn, 8, k, 0, "wlen") < 0) goto done;
    if (get_buf(o_ids, &bi, 8, k, 1, "ids") < 0) goto done;
    if (get_buf(o_counts, &bc, 8, size_mul(4, n), 1, "counts") < 0) goto done;
    if (get_buf(o_content, &bt, 1, k, 1, "content") < 0) goto done;
    if (o_filter != Py_None) {
        if (get_buf(o_filter, &bf, 8, 1, 0, "filter") < 0) goto done;
        Py_ssize_t words = bf.len / 8;
        if (words & (words - 1)) {
            PyErr_SetString(PyExc_ValueError, "filter: a power of two of words");
            goto done;
        }
        filt = (const uint64_t *)bf.buf;
        fmask = (uint64_t)words * 64 - 1;
    }
    {
        const int64_t *wline = bl.buf, *wlen = bn.buf;
        int64_t *ids = bi.buf;
        double *counts = bc.buf;
        uint8_t *content = bt.buf;
        Py_ssize_t len = PyUnicode_GET_LENGTH(text);
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        size_t size = 64;
        while (size < (size_t)k * 2 + 2) size <<= 1;
        slots = PyMem_Calloc(size, sizeof(slot_t));
        codes = PyMem_Malloc(sizeof(long) * (size_t)(k ? k : 1)); /* by first position */
        if (!slots || !codes) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t ntok = 0, i = 0;
        while (i < len) {
            while (i < len && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
            if (i >= len) break;
            Py_ssize_t s0 = i;
            uint64_t h = FNV1A_INIT;
            while (i < len) {
                Py_UCS4 c = PyUnicode_READ(kind, data, i);
                if (Py_UNICODE_ISSPACE(c)) break;
                h = fnv1a(h, c);
                i++;
            }
            Py_ssize_t tl = i - s0;
            if (ntok >= k) {
                PyErr_SetString(PyExc_ValueError, "more tokens than word runs");
                goto done;
            }
            size_t j = (size_t)(h ^ (h >> 29)) & (size - 1);
            long code = 0;
            for (;;) {
                slot_t *sl = &slots[j];
                if (sl->len == 0) {
                    uint64_t fb = (h >> 20) & fmask;
                    if (!filt || ((filt[fb >> 6] >> (fb & 63)) & 1u)) {
                        PyObject *tok = PyUnicode_Substring(text, s0, i);
                        if (!tok) goto done;
                        PyObject *v = PyDict_GetItemWithError(vocab, tok); /* borrowed */
                        Py_DECREF(tok);
                        if (v) {
                            code = PyLong_AsLong(v);
                            if (code == -1 && PyErr_Occurred()) goto done;
                        } else if (PyErr_Occurred()) {
                            goto done;
                        }
                    }
                    sl->start = s0;
                    sl->len = tl;
                    sl->first = ntok;
                    sl->hash = h;
                    codes[ntok] = code;
                    ids[ntok] = ntok;
                    break;
                }
                if (sl->hash == h && sl->len == tl &&
                    memcmp((const char *)data + (size_t)sl->start * kind, (const char *)data + (size_t)s0 * kind,
                           (size_t)tl * kind) == 0) {
                    ids[ntok] = sl->first;
                    code = codes[sl->first];
                    break;
                }
                j = (j + 1) & (size - 1);
            }
            Py_ssize_t line = wline[ntok];
            if (line < 0 || line >= n) {
                PyErr_SetString(PyExc_IndexError, "a token's line is out of range");
                goto done;
            }
            double *row = counts + line * 4;
            if (code & b_stop) row[0] += 1.0;
            if (code & b_chrome) row[1] += 1.0;
            if (code & b_month) row[2] += 1.0;
            if ((code & b_byline) && (ntok == 0 || wline[ntok - 1] != line)) row[3] += 1.0;
            content[ntok] = !(code & b_stop) && wlen[ntok] >= 3;
            ntok++;
        }
        result = PyLong_FromSsize_t(ntok);
    }
done:
    if (slots) PyMem_Free(slots);
    if (codes) PyMem_Free(codes);
    PyBuffer_Release(&bf);
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bi);
    PyBuffer_Release(&bn);
    PyBuffer_Release(&bl);
    return result;
}

/* One tree over rows j0..j0+m-1: each row's leaf index (level 0 its highest bit, a level's bit
 * x > th) and its leaf value added to the row's sum.  xs: the tree's columns, one per level.
 * SSE2 (every x86-64) takes four rows per step (two per register): the same comparisons (cmpgt_pd is false on NaN,
 * as C's >), the same additions in the same order. */
static void add_tree(double *restrict acc, const double *const *xs, const double *th, Py_ssize_t depth,
                     const double *leaf, Py_ssize_t j0, Py_ssize_t m) {
    Py_ssize_t j = 0;
#if defined(CLEANER_SSE2)
    const __m128i one = _mm_set1_epi64x(1);
    for (; j + 4 <= m; j += 4) {
        __m128i v = _mm_setzero_si128(), w = _mm_setzero_si128();
        for (Py_ssize_t lev = 0; lev < depth; lev++) {
            __m128d t = _mm_set1_pd(th[lev]);
            __m128d c = _mm_cmpgt_pd(_mm_loadu_pd(xs[lev] + j0 + j), t);
            __m128d d = _mm_cmpgt_pd(_mm_loadu_pd(xs[lev] + j0 + j + 2), t);
            v = _mm_or_si128(_mm_slli_epi64(v, 1), _mm_and_si128(_mm_castpd_si128(c), one));
            w = _mm_or_si128(_mm_slli_epi64(w, 1), _mm_and_si128(_mm_castpd_si128(d), one));
        }
        acc[j] += leaf[_mm_cvtsi128_si64(v)];
        acc[j + 1] += leaf[_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v))];
        acc[j + 2] += leaf[_mm_cvtsi128_si64(w)];
        acc[j + 3] += leaf[_mm_cvtsi128_si64(_mm_unpackhi_epi64(w, w))];
    }
    for (; j + 2 <= m; j += 2) {
        __m128i v = _mm_setzero_si128();
        for (Py_ssize_t lev = 0; lev < depth; lev++) {
            __m128d c = _mm_cmpgt_pd(_mm_loadu_pd(xs[lev] + j0 + j), _mm_set1_pd(th[lev]));
            v = _mm_or_si128(_mm_slli_epi64(v, 1), _mm_and_si128(_mm_castpd_si128(c), one));
        }
        acc[j] += leaf[_mm_cvtsi128_si64(v)];
        acc[j + 1] += leaf[_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v))];
    }
#endif
    for (; j < m; j++) {
        uint64_t i = 0;
        for (Py_ssize_t lev = 0; lev < depth; lev++) i = (i << 1) | (uint64_t)(xs[lev][j0 + j] > th[lev]);
        acc[j] += leaf[i];
    }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__AVX2__)
#define CLEANER_AVX2_DISPATCH 1
#include <immintrin.h>
/* add_tree with AVX2 (eight rows per step, four per register), used when the CPU has it (checked
 * at run time, so the module still runs on any x86-64): _CMP_GT_OQ is false on NaN, as C's >. */
__attribute__((target("avx2"))) static void add_tree_avx2(double *restrict acc, const double *const *xs,
                                                           const double *th, Py_ssize_t depth, const double *leaf,
                                                           Py_ssize_t j0, Py_ssize_t m) {
    Py_ssize_t j = 0;
    const __m256i one = _mm256_set1_epi64x(1);
    for (; j + 8 <= m; j += 8) {
        __m256i v = _mm256_setzero_si256(), w = _mm256_setzero_si256();
        for (Py_ssize_t lev = 0; lev < depth; lev++) {
            __m256d t = _mm256_set1_pd(th[lev]);
            __m256d c = _mm256_cmp_pd(_mm256_loadu_pd(xs[lev] + j0 + j), t, _CMP_GT_OQ);
            __m256d d = _mm256_cmp_pd(_mm256_loadu_pd(xs[lev] + j0 + j + 4), t, _CMP_GT_OQ);
            v = _mm256_or_si256(_mm256_slli_epi64(v, 1), _mm256_and_si256(_mm256_castpd_si256(c), one));
            w = _mm256_or_si256(_mm256_slli_epi64(w, 1), _mm256_and_si256(_mm256_castpd_si256(d), one));
        }
        uint64_t iv[8];
        _mm256_storeu_si256((__m256i *)iv, v);
        _mm256_storeu_si256((__m256i *)(iv + 4), w);
        for (int q = 0; q < 8; q++) acc[j + q] += leaf[iv[q]];
    }
    for (; j < m; j++) {
        uint64_t i = 0;
        for (Py_ssize_t lev = 0; lev < depth; lev++) i = (i << 1) | (uint64_t)(xs[lev][j0 + j] > th[lev]);
        acc[j] += leaf[i];
    }
}
#endif

#ifdef CLEANER_AVX2_DISPATCH
/* in the "boilerplate s7" block */
__attribute__((target("avx512f"))) static void add_tree_avx512(double *restrict acc, const double *const *xs,
                                                                const double *th, Py_ssize_t depth,
                                                                const double *leaf, Py_ssize_t j0, Py_ssize_t m);
/* in the "boilerplate s8c" block */
__attribute__((target("avx512f"))) static void add_tree_avx512_d6(double *restrict acc, const double *const *xs,
                                                                   const double *th, const double *leaf,
                                                                   Py_ssize_t j0, Py_ssize_t m);
#endif

/* forest_raw(blocks, feat, thr, leaf, trees, depth, bias, out)
 *
 * Oblivious trees over the rows of `blocks` (a tuple of C-contiguous float64 buffers, each
 * (columns, n): one contiguous row per feature; features are numbered across the blocks in
 * order).  feat/thr: (trees, depth) int64 / float64; leaf: (trees, 2**depth) float64.  out[j] =
 * (sum over trees, in order, of leaf[t, index]) + bias, where index takes level 0 as its highest
 * bit and a level's bit is x[feat] > thr: the sums Forest.raw forms, in the same order.
 */
static PyObject *forest_raw(PyObject *self, PyObject *args) {
    PyObject *blocks, *o_feat, *o_thr, *o_leaf, *o_out;
    Py_ssize_t trees, depth;
    double bias;
    if (!PyArg_ParseTuple(args, "O!OOOnndO", &PyTuple_Type, &blocks, &o_feat, &o_thr, &o_leaf, &trees, &depth,
                          &bias, &o_out))
        return NULL;
    if (depth < 1 || depth > 30 || trees < 0 || size_mul(trees, (Py_ssize_t)1 << depth) < 0) {
        PyErr_SetString(PyExc_ValueError, "bad forest shape");
        return NULL;
    }
    Py_ssize_t nblocks = PyTuple_GET_SIZE(blocks);
    Py_buffer b_feat = {0}, b_thr = {0}, b_leaf = {0}, b_out = {0};  /* obj NULL: releasing is a no-op */
    Py_buffer *bb = PyMem_Calloc((size_t)(nblocks ? nblocks : 1), sizeof(Py_buffer));
    const double **cols = NULL;
    double *acc = NULL;
    Py_ssize_t nbgot = 0;
    PyObject *result = NULL;
    if (!bb) return PyErr_NoMemory();
    Py_ssize_t leaves = (Py_ssize_t)1 << depth;
    if (get_buf(o_feat, &b_feat, 8, size_mul(trees, depth), 0, "feat") < 0) goto done;
    if (get_buf(o_thr, &b_thr, 8, size_mul(trees, depth), 0, "thr") < 0) goto done;
    if (get_buf(o_leaf, &b_leaf, 8, size_mul(trees, leaves), 0, "leaf") < 0) goto done;
    if (get_buf(o_out, &b_out, 8, 0, 1, "out") < 0) goto done;
    {
        Py_ssize_t n = b_out.len / 8, ncols = 0;
        for (; nbgot < nblocks; nbgot++) {
            if (get_buf(PyTuple_GET_ITEM(blocks, nbgot), &bb[nbgot], 8, 0, 0, "block") < 0) goto done;
            if (n && bb[nbgot].len % (n * 8)) {
                PyErr_SetString(PyExc_ValueError, "block length is not a multiple of the rows");
                goto done;
            }
            ncols += n ? bb[nbgot].len / (n * 8) : 0;
        }
        cols = PyMem_Malloc((size_t)(ncols ? ncols : 1) * sizeof(double *));
        acc = PyMem_Malloc(512 * sizeof(double));
        if (!cols || !acc) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t c = 0;
        for (Py_ssize_t k = 0; k < nblocks && n; k++) {
            Py_ssize_t w = bb[k].len / (n * 8);
            for (Py_ssize_t q = 0; q < w; q++) cols[c++] = (const double *)bb[k].buf + q * n;
        }
        const int64_t *feat = (const int64_t *)b_feat.buf;
        const double *thr = (const double *)b_thr.buf, *leaf = (const double *)b_leaf.buf;
        for (Py_ssize_t q = 0; q < trees * depth; q++) {
            if (n && (feat[q] < 0 || feat[q] >= ncols)) {
                PyErr_SetString(PyExc_IndexError, "a tree tests a column the blocks do not have");
                goto done;
            }
        }
        double *out = (double *)b_out.buf;
        enum { CHUNK = 512 };
        const double *xs[32];
#ifdef CLEANER_AVX2_DISPATCH
        int avx2 = __builtin_cpu_supports("avx2");
        const char *no512 = getenv("CLEANER_NO_AVX512"); /* as CLEANER_NO_NATIVE: any value but "" and "0" */
        int avx512 = __builtin_cpu_supports("avx512f") && (!no512 || !no512[0] || strcmp(no512, "0") == 0);
#endif
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t j0 = 0; j0 < n; j0 += CHUNK) {
            Py_ssize_t m = n - j0 < CHUNK ? n - j0 : CHUNK;
            for (Py_ssize_t j = 0; j < m; j++) acc[j] = 0.0;
            for (Py_ssize_t t = 0; t < trees; t++) {
                for (Py_ssize_t lev = 0; lev < depth; lev++) xs[lev] = cols[feat[t * depth + lev]];
#ifdef CLEANER_AVX2_DISPATCH
                if (avx512 && depth == 6) /* (s8c) the packaged model's depth, unrolled */
                    add_tree_avx512_d6(acc, xs, thr + t * depth, leaf + t * leaves, j0, m);
                else if (avx512)
                    add_tree_avx512(acc, xs, thr + t * depth, depth, leaf + t * leaves, j0, m);
                else if (avx2)
                    add_tree_avx2(acc, xs, thr + t * depth, depth, leaf + t * leaves, j0, m);
                else
#endif
                    add_tree(acc, xs, thr + t * depth, depth, leaf + t * leaves, j0, m);
            }
            for (Py_ssize_t j = 0; j < m; j++) out[j0 + j] = acc[j] + bias;
        }
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
done:
    for (Py_ssize_t k = 0; k < nblocks; k++) PyBuffer_Release(&bb[k]); /* calloc'd: unset ones are no-ops */
    PyMem_Free(bb);
    if (cols) PyMem_Free((void *)cols);
    if (acc) PyMem_Free(acc);
    PyBuffer_Release(&b_out);
    PyBuffer_Release(&b_leaf);
    PyBuffer_Release(&b_thr);
    PyBuffer_Release(&b_feat);
    return result;
}

/* numpy's sum of a contiguous float64 array (pairwise: 8 running sums in blocks of up to 128,
 * halves above that; loops_utils.h.src), so that a sum here is numpy's to the bit. */
static double np_pairwise_sum(const double *a, Py_ssize_t n) {
    if (n < 8) {
        double res = 0.;
        for (Py_ssize_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8], res;
        Py_ssize_t i;
        for (int j = 0; j < 8; j++) r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return np_pairwise_sum(a, n2) + np_pairwise_sum(a + n2, n - n2);
}

static double np_sum(const double *a, Py_ssize_t n) { return 0. + np_pairwise_sum(a, n); }

/* np.cumsum: out[0] = x[0], out[i] = out[i-1] + x[i] */
static void np_cumsum(double *out, const double *x, Py_ssize_t n) {
    double c = 0.;
    for (Py_ssize_t i = 0; i < n; i++) out[i] = c = (i ? c + x[i] : x[i]);
}

/* features._window_means of x (radius r): (cs[hi] - cs[lo]) / (hi - lo), cs the prefix sums with a 0 in front */
static void window_mean(double *out, const double *cs, Py_ssize_t n, Py_ssize_t r) {
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t lo = i - r > 0 ? i - r : 0, hi = i + r + 1 < n ? i + r + 1 : n;
        out[i] = (cs[hi] - cs[lo]) / (double)(hi - lo);
    }
}

typedef struct {
    double v;
    Py_ssize_t i;
} rank_t;

static int by_desc_then_index(const void *a, const void *b) {
    const rank_t *x = a, *y = b;
    /* argsort(-p, kind="stable"): ascending -p, ties in index order */
    double nx = -x->v, ny = -y->v;
    if (nx < ny) return -1;
    if (nx > ny) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* qsort(r, n, sizeof(rank_t), by_desc_then_index) without a call per comparison (boilerplate s8c) */
static void rank_sort(rank_t *r, Py_ssize_t n);

/* score_context(p, w, sh, efd, out)
 *
 * The columns of features.score_context_features over the k lines that hold tokens, as numpy
 * forms them (the same operations in the same order; sums as numpy's pairwise sum).  p: the
 * first-pass scores of those lines, w: their word counts (floored at 0.5), sh: their lexical
 * support share, efd: uint8, the first pass's expected-F keep; out: (28, k) float64, row-major.
 * Rows 13 (run length: the caller takes log1p and the sign) and 19 (the caller's) are left as
 * run length and 0.
 */
static PyObject *score_context(PyObject *self, PyObject *args) {
    PyObject *o_p, *o_w, *o_sh, *o_efd, *o_out;
    if (!PyArg_ParseTuple(args, "OOOOO", &o_p, &o_w, &o_sh, &o_efd, &o_out)) return NULL;
    Py_buffer bp = {0}, bw = {0}, bsh = {0}, befd = {0}, bout = {0};  /* obj NULL: releasing is a no-op */
    PyObject *result = NULL;
    double *tmp = NULL;
    rank_t *rk = NULL;
    if (get_buf(o_p, &bp, 8, 0, 0, "p") < 0) goto done;
    Py_ssize_t k = bp.len / 8;
    if (get_buf(o_w, &bw, 8, k, 0, "w") < 0) goto done;
    if (get_buf(o_sh, &bsh, 8, k, 0, "sh") < 0) goto done;
    if (get_buf(o_efd, &befd, 1, k, 0, "efd") < 0) goto done;
    if (get_buf(o_out, &bout, 8, size_mul(28, k), 1, "out") < 0) goto done;
    if (k == 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    {
        const double *p = bp.buf, *w = bw.buf, *sh = bsh.buf;
        const uint8_t *efd = befd.buf;
        double *out = bout.buf;
#define ROW(r) (out + (Py_ssize_t)(r) * k)
        /* scratch: mass, cs_mass/w/sh (k+1 each), m3/m8/m20 of 3 rows, gain (k+1), run sums */
        tmp = PyMem_Malloc(sizeof(double) * (size_t)(k * 16 + 8));
        rk = PyMem_Malloc(sizeof(rank_t) * (size_t)k);
        if (!tmp || !rk) {
            PyErr_NoMemory();
            goto done;
        }
        double *mass = tmp, *cs = tmp + k; /* cs: 3 rows of k+1 */
        double *m3 = cs + 3 * (k + 1), *m8 = m3 + 3 * k, *m20 = m8 + 3 * k; /* 9k */
        double *gain = m20 + 3 * k;                                         /* k+1 */
        for (Py_ssize_t i = 0; i < k; i++) mass[i] = p[i] * w[i];
        double tot = np_sum(mass, k);
        if (1e-9 > tot) tot = 1e-9; /* max(float(mass.sum()), 1e-9) */
        const double *rows[3] = {mass, w, sh};
        for (int r = 0; r < 3; r++) {
            double *c = cs + r * (k + 1);
            c[0] = 0.;
            np_cumsum(c + 1, rows[r], k);
        }
        for (int r = 0; r < 3; r++) {
            window_mean(m3 + r * k, cs + r * (k + 1), k, 3);
            window_mean(m8 + r * k, cs + r * (k + 1), k, 8);
            window_mean(m20 + r * k, cs + r * (k + 1), k, 20);
        }
        double pmax = p[0];
        for (Py_ssize_t i = 0; i < k; i++) {
            ROW(0)[i] = p[i];
            ROW(1)[i] = i >= 1 ? p[i - 1] : 0.;
            ROW(2)[i] = i + 1 < k ? p[i + 1] : 0.;
            ROW(3)[i] = i >= 2 ? p[i - 2] : 0.;
            ROW(4)[i] = i + 2 < k ? p[i + 2] : 0.;
            double d3 = m3[k + i] > 1e-9 ? m3[k + i] : 1e-9, d8 = m8[k + i] > 1e-9 ? m8[k + i] : 1e-9,
                   d20 = m20[k + i] > 1e-9 ? m20[k + i] : 1e-9;
            ROW(5)[i] = m3[i] / d3;
            ROW(6)[i] = m8[i] / d8;
            ROW(7)[i] = m20[i] / d20;
            double a = i ? p[i - 1] : p[0], b = p[i], c = i + 1 < k ? p[i + 1] : p[k - 1];
            double mx = a > b ? a : b, mn = a < b ? a : b;
            ROW(8)[i] = mx > c ? mx : c;
            ROW(9)[i] = mn < c ? mn : c;
            double before = (cs[i + 1] - mass[i]) / tot;
            ROW(10)[i] = before;
            ROW(11)[i] = 1.0 - before - mass[i] / tot;
            ROW(18)[i] = sh[i];
            ROW(19)[i] = 0.;
            ROW(20)[i] = m3[2 * k + i];
            ROW(26)[i] = efd[i] ? 1.0 : 0.0;
            if (p[i] > pmax) pmax = p[i];
        }
        /* runs of lines on one side of 0.5: their share of the words and their length */
        double wsum = np_sum(w, k);
        double wden = wsum > 1.0 ? wsum : 1.0;
        for (Py_ssize_t a = 0; a < k;) {
            int hi = p[a] >= 0.5;
            Py_ssize_t b = a;
            double s = 0.;
            while (b < k && (p[b] >= 0.5) == hi) s += w[b++];
            for (Py_ssize_t i = a; i < b; i++) {
                ROW(12)[i] = s / wden;
                ROW(13)[i] = (double)(b - a);
            }
            a = b;
        }
        /* rank of each score (stable descending order) */
        for (Py_ssize_t i = 0; i < k; i++) {
            rk[i].v = p[i];
            rk[i].i = i;
        }
        rank_sort(rk, k);
        double rden = (double)(k - 1 > 1 ? k - 1 : 1);
        for (Py_ssize_t r = 0; r < k; r++) ROW(14)[rk[r].i] = (double)r / rden;
        /* core: argmax(win8 * sqrt(m8[words])), the first maximum */
        Py_ssize_t core = 0;
        double best = 0.;
        for (Py_ssize_t i = 0; i < k; i++) {
            double v = ROW(6)[i] * sqrt(m8[k + i]);
            if (i == 0 || v > best) {
                best = v;
                core = i;
            }
        }
        double kden = (double)(k > 1 ? k : 1);
        double pm = np_sum(mass, k) / wsum;
        for (Py_ssize_t i = 0; i < k; i++) {
            Py_ssize_t d = i - core;
            ROW(15)[i] = (double)(d < 0 ? -d : d) / kden;
            ROW(16)[i] = pm;
            ROW(17)[i] = p[i] - pm;
        }
        /* the main block (Kadane on (p - 0.5) * sqrt(w)) */
        gain[0] = 0.;
        {
            double c = 0.;
            for (Py_ssize_t i = 0; i < k; i++) {
                double x = (p[i] - 0.5) * sqrt(w[i]);
                c = i ? c + x : x;
                gain[i + 1] = c;
            }
        }
        Py_ssize_t end = 0, start = 0;
        {
            double low = gain[0], bestd = 0.;
            for (Py_ssize_t i = 0; i <= k; i++) {
                if (gain[i] < low) low = gain[i];
                double d = gain[i] - low;
                if (i == 0 || d > bestd) {
                    bestd = d;
                    end = i;
                }
            }
            if (end > 0) {
                double mn = gain[0];
                for (Py_ssize_t i = 0; i <= end; i++)
                    if (gain[i] < mn) {
                        mn = gain[i];
                        start = i;
                    }
            }
        }
        double span_mass = end > start ? np_sum(w + start, end - start) / wsum : 0.0;
        double sden = (double)(end - start > 1 ? end - start : 1);
        double pden = 1e-9 > pmax ? 1e-9 : pmax;
        double cut = 0.5;
        int any = 0;
        for (Py_ssize_t i = 0; i < k; i++)
            if (efd[i] && (!any || p[i] < cut)) {
                cut = p[i];
                any = 1;
            }
        for (Py_ssize_t i = 0; i < k; i++) {
            ROW(21)[i] = (i >= start && i < end) ? 1.0 : 0.0;
            Py_ssize_t sd = i < start ? start - i : (i >= end ? i - end + 1 : 0);
            ROW(22)[i] = (double)sd / kden;
            ROW(23)[i] = (double)(i - start) / sden;
            ROW(24)[i] = span_mass;
            ROW(25)[i] = p[i] / pden;
            ROW(27)[i] = p[i] - cut;
        }
#undef ROW
        result = Py_None;
        Py_INCREF(result);
    }
done:
    if (tmp) PyMem_Free(tmp);
    if (rk) PyMem_Free(rk);
    PyBuffer_Release(&bout);
    PyBuffer_Release(&befd);
    PyBuffer_Release(&bsh);
    PyBuffer_Release(&bw);
    PyBuffer_Release(&bp);
    return result;
}

/* line_shapes(text, terminal, cjk, para)
 *
 * Per line of `text` (split at "\n"): the number of kana/Han characters (U+3040..U+9FFF) into cjk
 * (int64), and into para (uint8) whether the line is shaped like running text, as
 * boilerplate._paragraph_like decides it from the stripped line: its whitespace-separated words
 * (str.split's white space), whether its last non-space character is in `terminal`, and the CJK
 * count.
 */
/* (s8a) one loop per text kind, the characters read directly and ASCII white space by table: the
 * same counts and decisions as the one loop over PyUnicode_READ it replaced.  -1: more lines than
 * the buffers hold. */
#define LINE_SHAPES_LOOP(NAME, T)                                                                         \
    static Py_ssize_t NAME(const T *d, Py_ssize_t len, const Py_UCS4 *term, Py_ssize_t tlen, int64_t *cjk, \
                           uint8_t *para, Py_ssize_t cap, int64_t *st, int64_t *en) {                     \
        Py_ssize_t line = 0, line_start = 0;                                                              \
        int64_t nc = 0, words = 0;                                                                        \
        int inword = 0, has_last = 0;                                                                     \
        Py_UCS4 last = 0;                                                                                 \
        for (Py_ssize_t i = 0; i <= len; i++) {                                                           \
            Py_UCS4 c = i < len ? (Py_UCS4)d[i] : '\n';                                                   \
            if (c == '\n') {                                                                              \
                if (line >= cap) return -1;                                                               \
                int t = 0;                                                                                \
                if (has_last)                                                                             \
                    for (Py_ssize_t q = 0; q < tlen; q++)                                                 \
                        if (term[q] == last) {                                                            \
                            t = 1;                                                                        \
                            break;                                                                        \
                        }                                                                                 \
                int64_t latin = words - (words < nc ? words : nc);                                        \
                cjk[line] = nc;                                                                           \
                para[line] = (uint8_t)(((nc >= 15) && t) || nc >= 28 || ((latin >= 8) && t) || latin >= 20); \
                if (st) {                                                                                 \
                    st[line] = line_start;                                                                \
                    en[line] = i;                                                                         \
                    line_start = i + 1;                                                                   \
                }                                                                                         \
                line++;                                                                                   \
                nc = words = 0;                                                                           \
                inword = has_last = 0;                                                                    \
                continue;                                                                                 \
            }                                                                                             \
            nc += c >= 0x3040 && c <= 0x9FFF;                                                             \
            if (Py_UNICODE_ISSPACE(c)) {                                                                  \
                inword = 0;                                                                               \
            } else {                                                                                      \
                words += !inword;                                                                         \
                inword = 1;                                                                               \
                last = c;                                                                                 \
                has_last = 1;                                                                             \
            }                                                                                             \
        }                                                                                                 \
        return line;                                                                                      \
    }
LINE_SHAPES_LOOP(line_shapes_1, Py_UCS1)
LINE_SHAPES_LOOP(line_shapes_2, Py_UCS2)
LINE_SHAPES_LOOP(line_shapes_4, Py_UCS4)

/* (s8a) line_shapes(text, terminal, cjk, para[, starts, ends]): with the two int64 buffers, also each
 * line's [start, end) offsets in `text` (its "\n" in neither), as boilerplate._line_table finds them. */
static PyObject *line_shapes(PyObject *self, PyObject *args) {
    PyObject *text, *terminal, *o_cjk, *o_para, *o_st = NULL, *o_en = NULL;
    if (!PyArg_ParseTuple(args, "UUOO|OO", &text, &terminal, &o_cjk, &o_para, &o_st, &o_en)) return NULL;
    if ((o_st == NULL) != (o_en == NULL)) {
        PyErr_SetString(PyExc_TypeError, "starts and ends go together");
        return NULL;
    }
    Py_ssize_t tlen = PyUnicode_GET_LENGTH(terminal);
    if (tlen > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 terminal characters");
        return NULL;
    }
    Py_buffer bc = {0}, bpara = {0}, bst = {0}, ben = {0}; /* obj NULL: releasing is a no-op */
    int64_t *st = NULL, *en = NULL;
    if (get_buf(o_cjk, &bc, 8, 0, 1, "cjk") < 0) return NULL;
    if (get_buf(o_para, &bpara, 1, 0, 1, "para") < 0) {
        PyBuffer_Release(&bc);
        return NULL;
    }
    Py_ssize_t cap = bc.len / 8 < bpara.len ? bc.len / 8 : bpara.len;
    if (o_st) {
        if (get_buf(o_st, &bst, 8, 0, 1, "starts") < 0 || get_buf(o_en, &ben, 8, 0, 1, "ends") < 0) {
            PyBuffer_Release(&bst);
            PyBuffer_Release(&bc);
            PyBuffer_Release(&bpara);
            return NULL;
        }
        st = (int64_t *)bst.buf;
        en = (int64_t *)ben.buf;
        if (bst.len / 8 < cap) cap = bst.len / 8;
        if (ben.len / 8 < cap) cap = ben.len / 8;
    }
    Py_UCS4 term[64];
    int tkind = PyUnicode_KIND(terminal);
    const void *tdata = PyUnicode_DATA(terminal);
    for (Py_ssize_t q = 0; q < tlen; q++) term[q] = PyUnicode_READ(tkind, tdata, q);
    int64_t *cjk = bc.buf;
    uint8_t *para = bpara.buf;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t line =
        kind == PyUnicode_1BYTE_KIND   ? line_shapes_1((const Py_UCS1 *)data, len, term, tlen, cjk, para, cap, st, en)
        : kind == PyUnicode_2BYTE_KIND ? line_shapes_2((const Py_UCS2 *)data, len, term, tlen, cjk, para, cap, st, en)
                                       : line_shapes_4((const Py_UCS4 *)data, len, term, tlen, cjk, para, cap, st, en);
    PyBuffer_Release(&ben);
    PyBuffer_Release(&bst);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bpara);
    if (line < 0) {
        PyErr_SetString(PyExc_ValueError, "more lines than the buffers hold");
        return NULL;
    }
    return PyLong_FromSsize_t(line);
}

/* context(base, n, cols, keep, words, out)
 *
 * features.context_features over the k lines that hold tokens.  base: the page's feature rows,
 * (columns, n) float64; cols (int64): the rows summarised; keep (int64, k): the lines; words (k):
 * their word counts.  out: (4 * len(cols) + 3, k) float64, row-major: each summarised column's
 * previous and next value (-1 past the edges), its window means of radius 3 and 8 (differences
 * of prefix sums, as features._window_means), then the words of the line's run of long lines
 * (12+ words; 0 off such runs), the distance to the previous long line and to the next (k when
 * none); the caller takes log1p of those last three rows.
 */
static PyObject *context(PyObject *self, PyObject *args) {
    PyObject *o_base, *o_cols, *o_keep, *o_words, *o_out;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OnOOOO", &o_base, &n, &o_cols, &o_keep, &o_words, &o_out)) return NULL;
    Py_buffer bb = {0}, bc = {0}, bk = {0}, bw = {0}, bo = {0};  /* obj NULL: releasing is a no-op */
    PyObject *result = NULL;
    double *cs = NULL;
    if (get_buf(o_base, &bb, 8, 0, 0, "base") < 0) goto done;
    if (get_buf(o_cols, &bc, 8, 0, 0, "cols") < 0) goto done;
    if (get_buf(o_keep, &bk, 8, 0, 0, "keep") < 0) goto done;
    Py_ssize_t nc = bc.len / 8, k = bk.len / 8;
    if (get_buf(o_words, &bw, 8, k, 0, "words") < 0) goto done;
    if (get_buf(o_out, &bo, 8, size_mul(4 * nc + 3, k), 1, "out") < 0) goto done;
    {
        const int64_t *cols = bc.buf, *keep = bk.buf;
        const double *base = bb.buf, *words = bw.buf;
        double *out = bo.buf;
        Py_ssize_t rows_in_base = n > 0 ? bb.len / 8 / n : 0;
        for (Py_ssize_t c = 0; c < nc; c++)
            if (cols[c] < 0 || cols[c] >= rows_in_base) {
                PyErr_SetString(PyExc_IndexError, "a summarised column is not in base");
                goto done;
            }
        for (Py_ssize_t j = 0; j < k; j++)
            if (keep[j] < 0 || keep[j] >= n) {
                PyErr_SetString(PyExc_IndexError, "a kept line is not in base");
                goto done;
            }
        cs = PyMem_Malloc(sizeof(double) * (size_t)(k + 1));
        if (!cs) {
            PyErr_NoMemory();
            goto done;
        }
#define OUT(r) (out + (Py_ssize_t)(r) * k)
        for (Py_ssize_t c = 0; c < nc; c++) {
            const double *row = base + cols[c] * n;
            double *prev = OUT(c), *next = OUT(nc + c), *w3 = OUT(2 * nc + c), *w8 = OUT(3 * nc + c);
            cs[0] = 0.;
            for (Py_ssize_t j = 0; j < k; j++) {
                double x = row[keep[j]];
                cs[j + 1] = j ? cs[j] + x : x;
                if (j + 1 < k) prev[j + 1] = x;
                if (j >= 1) next[j - 1] = x;
            }
            if (k) {
                prev[0] = -1.0;
                next[k - 1] = -1.0;
            }
            window_mean(w3, cs, k, 3);
            window_mean(w8, cs, k, 8);
        }
        double *runw = OUT(4 * nc), *dprev = OUT(4 * nc + 1), *dnext = OUT(4 * nc + 2);
        for (Py_ssize_t a = 0; a < k;) {
            int lg = words[a] >= 12;
            Py_ssize_t b = a;
            double s = 0.;
            while (b < k && (words[b] >= 12) == lg) s += words[b++];
            for (Py_ssize_t j = a; j < b; j++) runw[j] = lg ? s * 1.0 : s * 0.0;
            a = b;
        }
        Py_ssize_t last = -1;
        for (Py_ssize_t j = 0; j < k; j++) {
            dprev[j] = (double)(last >= 0 ? j - last : k);
            if (words[j] >= 12) last = j;
        }
        last = -1;
        for (Py_ssize_t j = k - 1; j >= 0; j--) {
            if (words[j] >= 12) last = j;
            dnext[j] = (double)(last >= 0 ? last - j : k);
        }
#undef OUT
        result = Py_None;
        Py_INCREF(result);
    }
done:
    if (cs) PyMem_Free(cs);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bw);
    PyBuffer_Release(&bk);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bb);
    return result;
}

/* ---- garble ---- */
/* Token codes of the garble sentence CNN (cleaner/garble/nn.py: encode / token_code).
 *
 * Why: tokenising with regex and hashing every token and character trigram with zlib.crc32 in
 * Python cost ~40 us per sentence (a 10 MB lru_cache of token codes per process kept it there).
 * Here ASCII tokens are split, lower-cased, shaped and CRC-32 hashed in one pass; any token with a
 * non-ASCII character goes to the Python `fallback` (nn.token_code itself), so Unicode case rules
 * (final sigma, one-to-many lowercase) stay Python's.  Token boundaries follow a class table built
 * in Python from nn.TOKEN_RE's own character classes (regex's Unicode tables, not Python's).
 */

static uint32_t crc_table[256];
static int crc_ready = 0;

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    crc_ready = 1;
}

/* zlib's crc32: crc32(crc, buf) continues a CRC (crc32(0, b) == zlib.crc32(b)) */
static uint32_t crc32_update(uint32_t crc, const unsigned char *buf, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

typedef struct {
    int64_t *v;
    Py_ssize_t len, cap;
} i64vec;

static int i64vec_reserve(i64vec *a, Py_ssize_t extra) {
    if (extra < 0 || a->len > PY_SSIZE_T_MAX / 8 - extra) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t need = a->len + extra;
    if (need <= a->cap) return 0;
    Py_ssize_t cap = a->cap ? a->cap : 256;
    while (cap < need) cap = cap > PY_SSIZE_T_MAX / 16 ? need : cap * 2;
    int64_t *v = PyMem_Realloc(a->v, (size_t)cap * sizeof(int64_t));
    if (!v) {
        PyErr_NoMemory();
        return -1;
    }
    a->v = v;
    a->cap = cap;
    return 0;
}

/* The code of an ASCII token (lower-cased copy in `low`), as nn.token_code computes it:
 * word bucket, shape (nn._shape on str predicates), trigram buckets of "<low>" for a token
 * starting with a letter, appended to `sub`.  Returns the trigram count, -1 on error. */
static Py_ssize_t ascii_code(const unsigned char *tok, Py_ssize_t n, unsigned char *low, uint64_t mod, int64_t *w,
                             int64_t *shape, i64vec *sub) {
    /* (tok may be low itself: each byte is read before it is written, tok[0] before the loop) */
    int alpha0 = (tok[0] >= 'A' && tok[0] <= 'Z') || (tok[0] >= 'a' && tok[0] <= 'z');
    int upper0 = tok[0] >= 'A' && tok[0] <= 'Z';
    int digits = 1, has_lower = 0, has_upper = 0, rest_lower = 0, rest_upper = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = tok[i];
        int up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
        digits &= c >= '0' && c <= '9';
        has_lower |= lo;
        has_upper |= up;
        if (i) {
            rest_lower |= lo;
            rest_upper |= up;
        }
        low[i] = up ? (unsigned char)(c + 32) : c;
    }
    if (digits)
        *shape = 5;
    else if (!alpha0)
        *shape = 6;
    else if (has_lower && !has_upper) /* str.islower: a cased character and no upper-case one */
        *shape = 1;
    else if (has_upper && !has_lower)
        *shape = n == 1 ? 7 : 3;
    else if (upper0 && rest_lower && !rest_upper) /* tok[0].isupper() and tok[1:].islower() */
        *shape = 2;
    else
        *shape = 4;
    *w = 1 + (int64_t)((uint64_t)crc32_update(0, low, (size_t)n) % mod);
    if (!alpha0) return 0;
    if (i64vec_reserve(sub, n) < 0) return -1;
    /* trigrams "#" + s[i:i+3] of s = "<" + low + ">" (n of them) */
    const uint32_t hash0 = crc32_update(0, (const unsigned char *)"#", 1);
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char g[3];
        for (int k = 0; k < 3; k++) {
            Py_ssize_t p = i + k; /* position in s */
            g[k] = p == 0 ? '<' : (p == n + 1 ? '>' : low[p - 1]);
        }
        sub->v[sub->len++] = 1 + (int64_t)((uint64_t)crc32_update(hash0, g, 3) % mod);
    }
    return n;
}

/* The code of a non-ASCII token from fallback(token, buckets) -> (word, shape, trigrams tuple). */
static Py_ssize_t fallback_code(PyObject *fallback, PyObject *s, Py_ssize_t a, Py_ssize_t b, PyObject *o_buckets,
                                int64_t *w, int64_t *shape, i64vec *sub) {
    PyObject *tok = PyUnicode_Substring(s, a, b);
    if (!tok) return -1;
    PyObject *r = PyObject_CallFunctionObjArgs(fallback, tok, o_buckets, NULL);
    Py_DECREF(tok);
    if (!r) return -1;
    Py_ssize_t got = -1;
    long long ww, ss;
    PyObject *tri;
    if (!PyTuple_Check(r) || !PyArg_ParseTuple(r, "LLO!", &ww, &ss, &PyTuple_Type, &tri)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "fallback must return (int, int, tuple)");
        goto out;
    }
    Py_ssize_t m = PyTuple_GET_SIZE(tri);
    if (i64vec_reserve(sub, m) < 0) goto out;
    for (Py_ssize_t k = 0; k < m; k++) {
        long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(tri, k));
        if (v == -1 && PyErr_Occurred()) goto out;
        sub->v[sub->len++] = (int64_t)v;
    }
    *w = (int64_t)ww;
    *shape = (int64_t)ss;
    got = m;
out:
    Py_DECREF(r);
    return got;
}

/* cnn_encode(sentences, table, buckets, max_tokens, fallback)
 *   -> (words, shapes, sub_ids, bag_pos, bag_cnt, lengths, width) or None
 *
 * nn.encode's arrays (int64, in bytearrays; words/shapes row-major (n, width)) for the first
 * max_tokens tokens of each sentence, tokens as nn.TOKEN_RE finds them
 * (\p{L}+ | \p{N}+ | [^\s\p{L}\p{N}]).  table: uint8 class per code point (1 letter, 2 number,
 * 3 white space, 0 other) for code points below len(table); None when a scanned character lies
 * beyond it (the caller retries with the full table).
 */
static PyObject *cnn_encode(PyObject *self, PyObject *args) {
    PyObject *o_sents, *o_table, *fallback, *o_buckets;
    Py_ssize_t max_tokens;
    if (!PyArg_ParseTuple(args, "OOO!nO", &o_sents, &o_table, &PyLong_Type, &o_buckets, &max_tokens, &fallback))
        return NULL;
    long long buckets = PyLong_AsLongLong(o_buckets);
    if (buckets == -1 && PyErr_Occurred()) return NULL;
    if (buckets < 2 || buckets > ((long long)1 << 40) || max_tokens < 1) {
        PyErr_SetString(PyExc_ValueError, "buckets must be in [2, 2**40] and max_tokens >= 1");
        return NULL;
    }
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "fallback must be callable");
        return NULL;
    }
    if (!crc_ready) crc_init();
    uint64_t mod = (uint64_t)(buckets - 1);
    PyObject *sents = PySequence_Tuple(o_sents); /* a snapshot: the fallback cannot change what we read */
    if (!sents) return NULL;
    Py_buffer bt = {0};
    PyObject *result = NULL, *ow = NULL, *osh = NULL, *osub = NULL, *opos = NULL, *ocnt = NULL, *olen = NULL;
    i64vec tw = {0}, tsh = {0}, tcnt = {0}, sub = {0};
    int64_t *lengths = NULL;
    unsigned char *low = NULL;
    Py_ssize_t low_cap = 0;
    Py_ssize_t n = PyTuple_GET_SIZE(sents);
    if (get_buf(o_table, &bt, 1, 0, 0, "table") < 0) goto done;
    const uint8_t *table = bt.buf;
    Py_ssize_t tlen = bt.len;
    lengths = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int64_t));
    if (!lengths) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t width = 1;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *s = PyTuple_GET_ITEM(sents, r);
        if (!PyUnicode_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "sentences must be str");
            goto done;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(s), i = 0, ntok = 0;
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        while (i < len && ntok < max_tokens) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if ((Py_ssize_t)c >= tlen) {
                result = Py_None; /* beyond the table: the caller retries with the full one */
                Py_INCREF(result);
                goto done;
            }
            uint8_t cl = table[c];
            if (cl == 3) {
                i++;
                continue;
            }
            Py_ssize_t j = i + 1;
            int ascii = c < 128;
            if (cl == 1 || cl == 2) {
                for (; j < len; j++) {
                    Py_UCS4 d = PyUnicode_READ(kind, data, j);
                    if ((Py_ssize_t)d >= tlen) {
                        result = Py_None;
                        Py_INCREF(result);
                        goto done;
                    }
                    if (table[d] != cl) break;
                    ascii &= d < 128;
                }
            }
            if (i64vec_reserve(&tw, 1) < 0 || i64vec_reserve(&tsh, 1) < 0 || i64vec_reserve(&tcnt, 1) < 0) goto done;
            Py_ssize_t m;
            if (ascii) {
                if (j - i > low_cap) {
                    unsigned char *nl = PyMem_Realloc(low, (size_t)(j - i));
                    if (!nl) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    low = nl;
                    low_cap = j - i;
                }
                /* the token's bytes: read in place from a one-byte string, else narrowed into `low` (ascii_code
                   lower-cases in place safely: it reads each byte before writing it) */
                const unsigned char *src = low;
                if (kind == PyUnicode_1BYTE_KIND)
                    src = (const unsigned char *)data + i;
                else
                    for (Py_ssize_t k = i; k < j; k++) low[k - i] = (unsigned char)PyUnicode_READ(kind, data, k);
                m = ascii_code(src, j - i, low, mod, &tw.v[tw.len], &tsh.v[tsh.len], &sub);
            } else {
                m = fallback_code(fallback, s, i, j, o_buckets, &tw.v[tw.len], &tsh.v[tsh.len], &sub);
            }
            if (m < 0) goto done;
            tw.len++;
            tsh.len++;
            tcnt.v[tcnt.len++] = m;
            ntok++;
            i = j;
        }
        lengths[r] = ntok;
        if (ntok > width) width = ntok;
    }
    {
        Py_ssize_t cells = size_mul(n, width);
        if (cells < 0 || cells > PY_SSIZE_T_MAX / 8) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t nbags = 0;
        for (Py_ssize_t t = 0; t < tcnt.len; t++) nbags += tcnt.v[t] > 0;
        ow = PyByteArray_FromStringAndSize(NULL, cells * 8);
        osh = PyByteArray_FromStringAndSize(NULL, cells * 8);
        osub = PyByteArray_FromStringAndSize(NULL, sub.len * 8);
        opos = PyByteArray_FromStringAndSize(NULL, nbags * 8);
        ocnt = PyByteArray_FromStringAndSize(NULL, nbags * 8);
        olen = PyByteArray_FromStringAndSize(NULL, n * 8);
        if (!ow || !osh || !osub || !opos || !ocnt || !olen) goto done;
        int64_t *words = (int64_t *)PyByteArray_AS_STRING(ow), *shapes = (int64_t *)PyByteArray_AS_STRING(osh);
        int64_t *pos = (int64_t *)PyByteArray_AS_STRING(opos), *cnt = (int64_t *)PyByteArray_AS_STRING(ocnt);
        memset(words, 0, (size_t)cells * 8);
        memset(shapes, 0, (size_t)cells * 8);
        if (sub.len) memcpy(PyByteArray_AS_STRING(osub), sub.v, (size_t)sub.len * 8);
        if (n) memcpy(PyByteArray_AS_STRING(olen), lengths, (size_t)n * 8);
        Py_ssize_t t = 0, b = 0;
        for (Py_ssize_t r = 0; r < n; r++)
            for (Py_ssize_t k = 0; k < lengths[r]; k++, t++) {
                words[r * width + k] = tw.v[t];
                shapes[r * width + k] = tsh.v[t];
                if (tcnt.v[t] > 0) {
                    pos[b] = r * width + k;
                    cnt[b++] = tcnt.v[t];
                }
            }
        result = Py_BuildValue("OOOOOOn", ow, osh, osub, opos, ocnt, olen, width);
    }
done:
    Py_XDECREF(ow);
    Py_XDECREF(osh);
    Py_XDECREF(osub);
    Py_XDECREF(opos);
    Py_XDECREF(ocnt);
    Py_XDECREF(olen);
    PyMem_Free(tw.v);
    PyMem_Free(tsh.v);
    PyMem_Free(tcnt.v);
    PyMem_Free(sub.v);
    PyMem_Free(lengths);
    PyMem_Free(low);
    PyBuffer_Release(&bt);
    Py_DECREF(sents);
    return result;
}
/* The float32 front and back of the CNN's forward pass (nn.ConvNet.forward): everything but the
 * two matrix products, which stay in numpy (BLAS), so the logits are numpy's to the bit.  The sums
 * reproduce np.add.reduceat along axis 0 (numpy 2.x: the first row, plus the pairwise sum of the
 * others with 8 running sums in blocks of up to 128 rows, halves above that; `init` is the start
 * of a short block, -0.0 in numpy >= 2.0, measured by nn.py at import). */
#define CNN_MAXC 256

/* rows i0..i0+n-1 of a float32 matrix (row i at base + (idx ? idx[i] : i) * ld), columns 0..d-1 */
static void cnn_pairwise(float *out, const float *base, const int64_t *idx, Py_ssize_t ld, Py_ssize_t i0,
                         Py_ssize_t n, Py_ssize_t d, float init) {
#define ROWP(i) (base + (idx ? idx[(i)] : (i)) * ld)
    if (n < 8) {
        for (Py_ssize_t j = 0; j < d; j++) out[j] = init;
        for (Py_ssize_t i = 0; i < n; i++) {
            const float *row = ROWP(i0 + i);
            for (Py_ssize_t j = 0; j < d; j++) out[j] += row[j];
        }
    } else if (n <= 128) {
        float r[8][CNN_MAXC];
        for (int k = 0; k < 8; k++) memcpy(r[k], ROWP(i0 + k), (size_t)d * sizeof(float));
        Py_ssize_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) {
                const float *row = ROWP(i0 + i + k);
                for (Py_ssize_t j = 0; j < d; j++) r[k][j] += row[j];
            }
        for (Py_ssize_t j = 0; j < d; j++)
            out[j] = ((r[0][j] + r[1][j]) + (r[2][j] + r[3][j])) + ((r[4][j] + r[5][j]) + (r[6][j] + r[7][j]));
        for (; i < n; i++) {
            const float *row = ROWP(i0 + i);
            for (Py_ssize_t j = 0; j < d; j++) out[j] += row[j];
        }
    } else {
        float tmp[CNN_MAXC];
        Py_ssize_t n2 = n / 2;
        n2 -= n2 % 8;
        cnn_pairwise(out, base, idx, ld, i0, n2, d, init);
        cnn_pairwise(tmp, base, idx, ld, i0 + n2, n - n2, d, init);
        for (Py_ssize_t j = 0; j < d; j++) out[j] = out[j] + tmp[j];
    }
#undef ROWP
}

/* np.add.reduceat over the rows i0..i0+n-1 (n >= 1): the first row plus the pairwise sum of the rest */
static void cnn_reduceat(float *out, const float *base, const int64_t *idx, Py_ssize_t ld, Py_ssize_t i0,
                         Py_ssize_t n, Py_ssize_t d, float init) {
    const float *first = base + (idx ? idx[i0] : i0) * ld;
    if (n == 1) {
        memcpy(out, first, (size_t)d * sizeof(float));
        return;
    }
    float rest[CNN_MAXC];
    cnn_pairwise(rest, base, idx, ld, i0 + 1, n - 1, d, init);
    for (Py_ssize_t j = 0; j < d; j++) out[j] = first[j] + rest[j];
}

/* lengths (int64, n): each in [0, width]; their sum (checked against overflow: it bounds the loops) into *total */
static int cnn_lengths(const int64_t *lengths, Py_ssize_t n, Py_ssize_t width, Py_ssize_t *total) {
    Py_ssize_t t = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        if (lengths[r] < 0 || lengths[r] > width || (Py_ssize_t)lengths[r] > PY_SSIZE_T_MAX - t) {
            PyErr_SetString(PyExc_ValueError, "a sentence length is out of range (or the lengths overflow)");
            return -1;
        }
        t += (Py_ssize_t)lengths[r];
    }
    *total = t;
    return 0;
}

/* cnn_embed(emb, shape_emb, d, words, shapes, lengths, sub_ids, bag_pos, bag_cnt, init, x)
 *
 * The token rows x (float32, (T, d), T = sum(lengths)) of an encoded batch (nn.Encoded; words and
 * shapes (n, width) with width = len(words) / n): emb[word] + shape_emb[shape], plus for a token
 * with trigrams their reduceat sum over emb divided by their count, as ConvNet.forward forms them.
 */
static PyObject *cnn_embed(PyObject *self, PyObject *args) {
    PyObject *o_emb, *o_sem, *o_w, *o_s, *o_len, *o_sub, *o_pos, *o_cnt, *o_x;
    Py_ssize_t d;
    float init;
    if (!PyArg_ParseTuple(args, "OOnOOOOOOfO", &o_emb, &o_sem, &d, &o_w, &o_s, &o_len, &o_sub, &o_pos, &o_cnt, &init,
                          &o_x))
        return NULL;
    if (d < 1 || d > CNN_MAXC) {
        PyErr_SetString(PyExc_ValueError, "d must be in [1, 256]");
        return NULL;
    }
    Py_buffer be = {0}, bs = {0}, bw = {0}, bsh = {0}, bl = {0}, bsub = {0}, bp = {0}, bc = {0}, bx = {0};
    PyObject *result = NULL;
    Py_ssize_t *tstart = NULL;
    if (get_buf(o_emb, &be, 4, d, 0, "emb") < 0) goto done;
    if (get_buf(o_sem, &bs, 4, d, 0, "shape_emb") < 0) goto done;
    if (get_buf(o_len, &bl, 8, 0, 0, "lengths") < 0) goto done;
    Py_ssize_t n = bl.len / 8;
    if (get_buf(o_w, &bw, 8, 0, 0, "words") < 0) goto done;
    if (get_buf(o_s, &bsh, 8, bw.len / 8, 0, "shapes") < 0) goto done;
    if (get_buf(o_sub, &bsub, 8, 0, 0, "sub_ids") < 0) goto done;
    if (get_buf(o_pos, &bp, 8, 0, 0, "bag_pos") < 0) goto done;
    if (get_buf(o_cnt, &bc, 8, bp.len / 8, 0, "bag_cnt") < 0) goto done;
    {
        Py_ssize_t cells = bw.len / 8, width = n ? cells / n : 0, total = 0;
        if (n && cells % n) {
            PyErr_SetString(PyExc_ValueError, "words is not (n, width)");
            goto done;
        }
        const int64_t *words = bw.buf, *shapes = bsh.buf, *lengths = bl.buf, *sub = bsub.buf, *pos = bp.buf,
                      *cnt = bc.buf;
        if (cnn_lengths(lengths, n, width, &total) < 0) goto done;
        if (get_buf(o_x, &bx, 4, size_mul(total, d), 1, "x") < 0) goto done;
        const float *emb = be.buf, *sem = bs.buf;
        float *x = bx.buf;
        Py_ssize_t nemb = be.len / 4 / d, nsem = bs.len / 4 / d, m = bsub.len / 8, k = bp.len / 8;
        for (Py_ssize_t i = 0; i < m; i++)
            if (sub[i] < 0 || sub[i] >= nemb) {
                PyErr_SetString(PyExc_IndexError, "a trigram bucket is out of range");
                goto done;
            }
        tstart = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n ? n : 1));
        if (!tstart) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t t = 0;
        for (Py_ssize_t r = 0; r < n; r++) {
            tstart[r] = t;
            for (Py_ssize_t c = 0; c < lengths[r]; c++, t++) {
                int64_t wi = words[r * width + c], si = shapes[r * width + c];
                if (wi < 0 || wi >= nemb || si < 0 || si >= nsem) {
                    PyErr_SetString(PyExc_IndexError, "a word bucket or shape is out of range");
                    goto done;
                }
                const float *a = emb + wi * d, *b = sem + si * d;
                float *row = x + t * d;
                for (Py_ssize_t j = 0; j < d; j++) row[j] = a[j] + b[j];
            }
        }
        Py_ssize_t off = 0;
        float sums[CNN_MAXC];
        for (Py_ssize_t b = 0; b < k; b++) {
            int64_t p = pos[b], c = cnt[b];
            if (c < 1 || c > m - off || p < 0 || p >= size_mul(n, width) || (b && p <= pos[b - 1])) {
                PyErr_SetString(PyExc_ValueError, "bag_pos/bag_cnt do not fit the batch");
                goto done;
            }
            Py_ssize_t r = (Py_ssize_t)(p / width), col = (Py_ssize_t)(p % width);
            if (col >= lengths[r]) {
                PyErr_SetString(PyExc_ValueError, "a bag sits on a padding position");
                goto done;
            }
            cnn_reduceat(sums, emb, sub, d, off, (Py_ssize_t)c, d, init);
            float fc = (float)c;
            float *row = x + (tstart[r] + col) * d;
            for (Py_ssize_t j = 0; j < d; j++) row[j] = row[j] + sums[j] / fc;
            off += (Py_ssize_t)c;
        }
        if (off != m) {
            PyErr_SetString(PyExc_ValueError, "bag_cnt does not add up to len(sub_ids)");
            goto done;
        }
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyMem_Free(tstart);
    PyBuffer_Release(&bx);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bp);
    PyBuffer_Release(&bsub);
    PyBuffer_Release(&bl);
    PyBuffer_Release(&bsh);
    PyBuffer_Release(&bw);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&be);
    return result;
}

/* out (float32, (T, 3d)) row t = [x[t-1], x[t], x[t+1]] of x (float32, (T, d), rows in sentence order;
 * lengths already checked to sum to T), a zero row for a neighbour in another sentence: the window loop of
 * cnn_window and cnn_relu_window. */
static void cnn_window_rows(float *out, const float *x, const int64_t *lengths, Py_ssize_t n, Py_ssize_t d) {
    size_t row = (size_t)d * sizeof(float);
    Py_ssize_t t = 0;
    for (Py_ssize_t r = 0; r < n; r++)
        for (Py_ssize_t c = 0; c < lengths[r]; c++, t++) {
            float *o = out + t * 3 * d;
            if (c > 0)
                memcpy(o, x + (t - 1) * d, row);
            else
                memset(o, 0, row);
            memcpy(o + d, x + t * d, row);
            if (c + 1 < lengths[r])
                memcpy(o + 2 * d, x + (t + 1) * d, row);
            else
                memset(o + 2 * d, 0, row);
        }
}

/* cnn_window(x, d, lengths, out): out (float32, (T, 3d)) row t = [x[t-1], x[t], x[t+1]], a zero row
 * for a neighbour in another sentence: nn._conv3's input, without the zero-separated layout. */
static PyObject *cnn_window(PyObject *self, PyObject *args) {
    PyObject *o_x, *o_len, *o_out;
    Py_ssize_t d;
    if (!PyArg_ParseTuple(args, "OnOO", &o_x, &d, &o_len, &o_out)) return NULL;
    if (d < 1) {
        PyErr_SetString(PyExc_ValueError, "d must be >= 1");
        return NULL;
    }
    Py_buffer bx = {0}, bl = {0}, bo = {0};
    PyObject *result = NULL;
    if (get_buf(o_len, &bl, 8, 0, 0, "lengths") < 0) goto done;
    {
        Py_ssize_t n = bl.len / 8, total = 0;
        const int64_t *lengths = bl.buf;
        if (cnn_lengths(lengths, n, PY_SSIZE_T_MAX, &total) < 0) goto done;
        if (get_buf(o_x, &bx, 4, size_mul(total, d), 0, "x") < 0) goto done;
        if (get_buf(o_out, &bo, 4, size_mul(total, size_mul(3, d)), 1, "out") < 0) goto done;
        const float *x = bx.buf;
        float *out = bo.buf;
        cnn_window_rows(out, x, lengths, n, d);
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bx);
    PyBuffer_Release(&bl);
    return result;
}

/* out (float32, (n, 2c)) row r = [mean, max] of sentence r's rows of h (float32, (T, c), rows in
 * sentence order; lengths already checked to sum to T): the mean as np.add.reduceat / float32(length),
 * the max as np.maximum.reduceat (NaN propagates; of equal values the later); zeros for an empty one.
 * Shared by cnn_pool and cnn_relu_pool. */
static void cnn_pool_rows(float *out, const float *h, const int64_t *lengths, Py_ssize_t n, Py_ssize_t c,
                          float init) {
    Py_ssize_t t = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        float *mean = out + r * 2 * c, *top = mean + c;
        Py_ssize_t len = (Py_ssize_t)lengths[r];
        if (!len) {
            memset(mean, 0, (size_t)(2 * c) * sizeof(float));
            continue;
        }
        cnn_reduceat(mean, h, NULL, c, t, len, c, init);
        float fl = (float)len;
        for (Py_ssize_t j = 0; j < c; j++) mean[j] = mean[j] / fl;
        memcpy(top, h + t * c, (size_t)c * sizeof(float));
        for (Py_ssize_t i = 1; i < len; i++) {
            const float *row = h + (t + i) * c;
            for (Py_ssize_t j = 0; j < c; j++) top[j] = (top[j] > row[j] || top[j] != top[j]) ? top[j] : row[j];
        }
        t += len;
    }
}

/* cnn_pool(h, c, lengths, init, out): out (float32, (n, 2c)) the [mean, max] rows of cnn_pool_rows. */
static PyObject *cnn_pool(PyObject *self, PyObject *args) {
    PyObject *o_h, *o_len, *o_out;
    Py_ssize_t c;
    float init;
    if (!PyArg_ParseTuple(args, "OnOfO", &o_h, &c, &o_len, &init, &o_out)) return NULL;
    if (c < 1 || c > CNN_MAXC) {
        PyErr_SetString(PyExc_ValueError, "c must be in [1, 256]");
        return NULL;
    }
    Py_buffer bh = {0}, bl = {0}, bo = {0};
    PyObject *result = NULL;
    if (get_buf(o_len, &bl, 8, 0, 0, "lengths") < 0) goto done;
    {
        Py_ssize_t n = bl.len / 8, total = 0;
        const int64_t *lengths = bl.buf;
        if (cnn_lengths(lengths, n, PY_SSIZE_T_MAX, &total) < 0) goto done;
        if (get_buf(o_h, &bh, 4, size_mul(total, c), 0, "h") < 0) goto done;
        if (get_buf(o_out, &bo, 4, size_mul(n, 2 * c), 1, "out") < 0) goto done;
        const float *h = bh.buf;
        float *out = bo.buf;
        cnn_pool_rows(out, h, lengths, n, c, init);
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bl);
    return result;
}
/* The linear featuriser's hashing (cleaner/garble/vec.py: tokenize, ngram_hashes_multi).  vec.py
 * hashes a span s[a:b] as mix((S[b] - S[a]) * P**a) with S[k] = sum_{j<k} s_j * Q**j modulo 2**64
 * (P * Q = 1): that is mix(sum_{k<b-a} s[a+k] * Q**k), which these loops compute directly, to the
 * same 64-bit value. */
static inline uint64_t vec_mix(uint64_t h) {
    h ^= h >> 29;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

/* vec_tokenize(codes, low, seg, table, q, o_seg, o_cls, o_h, o_upper, o_start, o_end) -> number of tokens
 *
 * vec.tokenize over the joined code points `codes` (uint32), their lower-case `low` (uint32) and
 * owners `seg` (int64): the class of each code point from `table` (uint8, vec._tables' classes,
 * 0x10000 entries; astral code points are marks), an apostrophe between two letters made a letter
 * (decided on the classes before any change), then the tokens: runs of letters or of digits, each
 * mark or Han character alone.  Outputs (capacity len(codes)): owner, class, hash, upper-case
 * start (uint8), start and end offsets.  q: vec._Q.
 */
static PyObject *vec_tokenize(PyObject *self, PyObject *args) {
    PyObject *o_codes, *o_low, *o_seg, *o_table, *o_os, *o_oc, *o_oh, *o_ou, *o_ost, *o_oen;
    unsigned long long q;
    if (!PyArg_ParseTuple(args, "OOOOKOOOOOO", &o_codes, &o_low, &o_seg, &o_table, &q, &o_os, &o_oc, &o_oh, &o_ou,
                          &o_ost, &o_oen))
        return NULL;
    Py_buffer bc = {0}, bl = {0}, bs = {0}, bt = {0}, b1 = {0}, b2 = {0}, b3 = {0}, b4 = {0}, b5 = {0}, b6 = {0};
    PyObject *result = NULL;
    uint8_t *cls = NULL;
    if (get_buf(o_codes, &bc, 4, 0, 0, "codes") < 0) goto done;
    Py_ssize_t n = bc.len / 4;
    if (get_buf(o_low, &bl, 4, n, 0, "low") < 0) goto done;
    if (get_buf(o_seg, &bs, 8, n, 0, "seg") < 0) goto done;
    if (get_buf(o_table, &bt, 1, 0x10000, 0, "table") < 0) goto done;
    if (get_buf(o_os, &b1, 8, n, 1, "o_seg") < 0) goto done;
    if (get_buf(o_oc, &b2, 1, n, 1, "o_cls") < 0) goto done;
    if (get_buf(o_oh, &b3, 8, n, 1, "o_h") < 0) goto done;
    if (get_buf(o_ou, &b4, 1, n, 1, "o_upper") < 0) goto done;
    if (get_buf(o_ost, &b5, 8, n, 1, "o_start") < 0) goto done;
    if (get_buf(o_oen, &b6, 8, n, 1, "o_end") < 0) goto done;
    {
        enum { SPACE = 0, LET = 1, HAN = 3, PUN = 4, APO = 5 };
        const uint32_t *codes = bc.buf, *low = bl.buf;
        const int64_t *seg = bs.buf;
        const uint8_t *table = bt.buf;
        int64_t *oseg = b1.buf, *ost = b5.buf, *oen = b6.buf;
        uint8_t *ocls = b2.buf, *oup = b4.buf;
        uint64_t *oh = b3.buf;
        cls = PyMem_Malloc((size_t)(n ? n : 1));
        if (!cls) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++) cls[i] = codes[i] < 0x10000 ? table[codes[i]] : PUN;
        /* the apostrophe rule on the original classes: a left-to-right pass sees cls[i-1] already
           changed only when it was an apostrophe itself, which then was not between two letters */
        uint8_t prev_orig = n ? cls[0] : 0;
        for (Py_ssize_t i = 1; i + 1 < n; i++) {
            uint8_t cur = cls[i];
            if (cur == APO && prev_orig == LET && cls[i + 1] == LET) cls[i] = LET;
            prev_orig = cur;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            if (cls[i] == APO) cls[i] = PUN;
        Py_ssize_t ns = 0, ne = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint8_t c = cls[i];
            if (c == SPACE) continue;
            int single = c == PUN || c == HAN;
            uint8_t pv = i ? cls[i - 1] : SPACE, nx = i + 1 < n ? cls[i + 1] : SPACE;
            if (c != pv || single) {
                oseg[ns] = seg[i];
                ocls[ns] = c;
                oup[ns] = codes[i] != low[i];
                ost[ns++] = i;
            }
            if (c != nx || single) oen[ne++] = i + 1;
        }
        if (ns != ne) {
            PyErr_SetString(PyExc_RuntimeError, "token starts and ends do not pair");
            goto done;
        }
        for (Py_ssize_t k = 0; k < ns; k++) {
            uint64_t h = 0, qk = 1;
            for (int64_t i = ost[k]; i < oen[k]; i++) {
                h += (uint64_t)low[i] * qk;
                qk *= (uint64_t)q;
            }
            oh[k] = vec_mix(h);
        }
        result = PyLong_FromSsize_t(ns);
    }
done:
    PyMem_Free(cls);
    PyBuffer_Release(&b6);
    PyBuffer_Release(&b5);
    PyBuffer_Release(&b4);
    PyBuffer_Release(&b3);
    PyBuffer_Release(&b2);
    PyBuffer_Release(&b1);
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bl);
    PyBuffer_Release(&bc);
    return result;
}

/* vec_ngrams(seq, seg, ns, salts, q, out_h, out_o) -> tuple of counts, one per order
 *
 * vec.ngram_hashes_multi: for each order n (int64 `ns`, salt uint64 `salts`), the hash
 * mix((sum_{k<n} seq[i+k] * q**k) ^ salt) and owner seg[i] of every n-gram of `seq` (uint64) whose
 * first and last items have one owner (seg: int64, non-decreasing), in order; the orders one after
 * another in out_h (uint64) / out_o (int64), whose capacity is sum(max(len(seq) - n + 1, 0)).
 */
static PyObject *vec_ngrams(PyObject *self, PyObject *args) {
    PyObject *o_seq, *o_seg, *o_ns, *o_salts, *o_h, *o_o;
    unsigned long long q;
    if (!PyArg_ParseTuple(args, "OOOOKOO", &o_seq, &o_seg, &o_ns, &o_salts, &q, &o_h, &o_o)) return NULL;
    Py_buffer bq = {0}, bs = {0}, bn = {0}, bsa = {0}, bh = {0}, bo = {0};
    PyObject *result = NULL;
    if (get_buf(o_seq, &bq, 8, 0, 0, "seq") < 0) goto done;
    Py_ssize_t len = bq.len / 8;
    if (get_buf(o_seg, &bs, 8, len, 0, "seg") < 0) goto done;
    if (get_buf(o_ns, &bn, 8, 0, 0, "ns") < 0) goto done;
    Py_ssize_t k = bn.len / 8;
    if (get_buf(o_salts, &bsa, 8, k, 0, "salts") < 0) goto done;
    {
        const int64_t *ns = bn.buf, *seg = bs.buf;
        const uint64_t *seq = bq.buf, *salts = bsa.buf;
        Py_ssize_t cap = 0;
        for (Py_ssize_t j = 0; j < k; j++) {
            if (ns[j] < 1) {
                PyErr_SetString(PyExc_ValueError, "n-gram orders must be >= 1");
                goto done;
            }
            if (ns[j] <= len) cap += len - (Py_ssize_t)ns[j] + 1;
        }
        if (get_buf(o_h, &bh, 8, cap, 1, "out_h") < 0) goto done;
        if (get_buf(o_o, &bo, 8, cap, 1, "out_o") < 0) goto done;
        uint64_t *oh = bh.buf;
        int64_t *oo = bo.buf;
        result = PyTuple_New(k);
        if (!result) goto done;
        Py_ssize_t w = 0;
        for (Py_ssize_t j = 0; j < k; j++) {
            Py_ssize_t n = (Py_ssize_t)ns[j], got = 0;
            for (Py_ssize_t i = 0; i + n <= len; i++) {
                if (seg[i] != seg[i + n - 1]) continue;
                uint64_t h = 0; /* (s7b) Horner: the same sum modulo 2**64, one product per item, not two */
                for (Py_ssize_t t = n - 1; t >= 0; t--) h = h * (uint64_t)q + seq[i + t];
                oh[w] = vec_mix(h ^ salts[j]);
                oo[w++] = seg[i];
                got++;
            }
            PyObject *v = PyLong_FromSsize_t(got);
            if (!v) {
                Py_CLEAR(result);
                goto done;
            }
            PyTuple_SET_ITEM(result, j, v);
        }
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bsa);
    PyBuffer_Release(&bn);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bq);
    return result;
}
/* vec_keys(hashes, owners, bits, out) -> number of keys
 *
 * The sparse feature keys of vec.featurise, sorted and unique: (owner << bits) | (hash & (2**bits - 1))
 * for every pair of hashes[j] (uint64) and owners[j] (int64), j over two tuples of arrays, into out
 * (int64, capacity the total length), sorted (LSD radix sort; all keys are >= 0) and de-duplicated in
 * place: the keys np.sort and the mask of first occurrences leave.
 */
static PyObject *vec_keys(PyObject *self, PyObject *args) {
    PyObject *hs, *os, *o_out;
    int bits;
    if (!PyArg_ParseTuple(args, "O!O!iO", &PyTuple_Type, &hs, &PyTuple_Type, &os, &bits, &o_out)) return NULL;
    Py_ssize_t parts = PyTuple_GET_SIZE(hs);
    if (PyTuple_GET_SIZE(os) != parts || bits < 1 || bits > 40) {
        PyErr_SetString(PyExc_ValueError, "hashes and owners differ in length, or bits not in [1, 40]");
        return NULL;
    }
    Py_buffer bo = {0};
    PyObject *result = NULL;
    int64_t *tmp = NULL;
    if (get_buf(o_out, &bo, 8, 0, 1, "out") < 0) return NULL;
    int64_t *out = bo.buf;
    Py_ssize_t cap = bo.len / 8, w = 0;
    uint64_t mask = ((uint64_t)1 << bits) - 1, omax = (uint64_t)1 << (62 - bits);
    for (Py_ssize_t p = 0; p < parts; p++) {
        Py_buffer bh = {0}, bw = {0};
        if (get_buf(PyTuple_GET_ITEM(hs, p), &bh, 8, 0, 0, "hashes") < 0) goto done;
        if (get_buf(PyTuple_GET_ITEM(os, p), &bw, 8, bh.len / 8, 0, "owners") < 0) {
            PyBuffer_Release(&bh);
            goto done;
        }
        Py_ssize_t m = bh.len / 8;
        const uint64_t *h = bh.buf;
        const int64_t *o = bw.buf;
        int bad = m > cap - w;
        for (Py_ssize_t i = 0; i < m && !bad; i++) {
            if (o[i] < 0 || (uint64_t)o[i] >= omax) {
                bad = 2;
                break;
            }
            out[w++] = (int64_t)(((uint64_t)o[i] << bits) | (h[i] & mask));
        }
        PyBuffer_Release(&bw);
        PyBuffer_Release(&bh);
        if (bad) {
            PyErr_SetString(PyExc_ValueError, bad == 2 ? "an owner is negative or too large" : "out is too short");
            goto done;
        }
    }
    if (w > 1) {
        /* LSD radix sort over the bits the keys use, in as few passes of at most 12 bits as cover them
         * (s7b: 2 passes instead of 3 for the usual 23 bits: batches of 8 sentences), every pass's
         * histogram from one read of the keys, and a pass skipped when all keys share its digit */
        uint64_t top = 0;
        for (Py_ssize_t i = 0; i < w; i++) top |= (uint64_t)out[i];
        int used = 0;
        while (used < 64 && (top >> used)) used++;
        int passes = (used + 11) / 12, dbits = passes ? (used + passes - 1) / passes : 1;
        size_t nb = (size_t)1 << dbits;
        uint64_t dmask = nb - 1;
        tmp = PyMem_Malloc(sizeof(int64_t) * (size_t)w + sizeof(Py_ssize_t) * nb * (size_t)(passes ? passes : 1));
        if (!tmp) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t *count = (Py_ssize_t *)(tmp + w);
        memset(count, 0, sizeof(Py_ssize_t) * nb * (size_t)passes);
        for (Py_ssize_t i = 0; i < w; i++) {
            uint64_t v = (uint64_t)out[i];
            for (int p = 0; p < passes; p++) count[(size_t)p * nb + ((v >> (p * dbits)) & dmask)]++;
        }
        int64_t *src = out, *dst = tmp;
        for (int p = 0; p < passes; p++) {
            Py_ssize_t *c = count + (size_t)p * nb, sum = 0;
            int trivial = 0;
            for (size_t b = 0; b < nb; b++) {
                Py_ssize_t k = c[b];
                if (k == w) trivial = 1;
                c[b] = sum;
                sum += k;
            }
            if (trivial) continue;
            int shift = p * dbits;
            for (Py_ssize_t i = 0; i < w; i++) dst[c[((uint64_t)src[i] >> shift) & dmask]++] = src[i];
            int64_t *t = src;
            src = dst;
            dst = t;
        }
        if (src != out) memcpy(out, src, sizeof(int64_t) * (size_t)w);
        Py_ssize_t u = 1;
        for (Py_ssize_t i = 1; i < w; i++)
            if (out[i] != out[u - 1]) out[u++] = out[i];
        w = u;
    }
    result = PyLong_FromSsize_t(w);
done:
    PyMem_Free(tmp);
    PyBuffer_Release(&bo);
    return result;
}
/* vec_token_ngrams(h, sk, seg, n, salts, skel_salt, bos, eos, q, out_h, out_o, sk_h, sk_o) -> (counts, n_skel)
 *
 * vec.token_ngrams: the word hashes h and the skeleton sk (uint64, one per token; seg: int64 owner
 * sentences, non-decreasing, in [0, n)) laid out as 2n pseudo-sentences (every sentence's words,
 * then every sentence's skeleton xor skel_salt, each as <s> tokens </s>, vec.with_bounds), and
 * their 1..4-grams as vec_ngrams hashes them (salts: 4 uint64), each with its sentence (the
 * pseudo-sentence modulo n); the skeleton trigrams also into sk_h / sk_o.  Capacities: out
 * sum(max(E - k + 1, 0)) for k = 1..4 with E = 2 len(h) + 4n; sk_h / sk_o E.
 */
static PyObject *vec_token_ngrams(PyObject *self, PyObject *args) {
    PyObject *o_h, *o_sk, *o_seg, *o_salts, *o_oh, *o_oo, *o_sh, *o_so;
    Py_ssize_t n;
    unsigned long long skel_salt, bos, eos, q;
    if (!PyArg_ParseTuple(args, "OOOnOKKKKOOOO", &o_h, &o_sk, &o_seg, &n, &o_salts, &skel_salt, &bos, &eos, &q, &o_oh,
                          &o_oo, &o_sh, &o_so))
        return NULL;
    Py_buffer bh = {0}, bsk = {0}, bseg = {0}, bsa = {0}, boh = {0}, boo = {0}, bsh = {0}, bso = {0};
    PyObject *result = NULL;
    uint64_t *ext = NULL;
    int64_t *eseg = NULL;
    if (get_buf(o_h, &bh, 8, 0, 0, "h") < 0) goto done;
    Py_ssize_t t = bh.len / 8;
    if (get_buf(o_sk, &bsk, 8, t, 0, "sk") < 0) goto done;
    if (get_buf(o_seg, &bseg, 8, t, 0, "seg") < 0) goto done;
    if (get_buf(o_salts, &bsa, 8, 4, 0, "salts") < 0) goto done;
    if (n < 0 || t > (PY_SSIZE_T_MAX / 16) - n) {
        PyErr_SetString(PyExc_ValueError, "bad n");
        goto done;
    }
    {
        const uint64_t *h = bh.buf, *sk = bsk.buf, *salts = bsa.buf;
        const int64_t *seg = bseg.buf;
        for (Py_ssize_t i = 0; i < t; i++)
            if (seg[i] < 0 || seg[i] >= n || (i && seg[i] < seg[i - 1])) {
                PyErr_SetString(PyExc_ValueError, "owners must be non-decreasing and in [0, n)");
                goto done;
            }
        Py_ssize_t e = 2 * t + 4 * n, cap = 0;
        for (Py_ssize_t k = 1; k <= 4; k++)
            if (k <= e) cap += e - k + 1;
        if (get_buf(o_oh, &boh, 8, cap, 1, "out_h") < 0) goto done;
        if (get_buf(o_oo, &boo, 8, cap, 1, "out_o") < 0) goto done;
        if (get_buf(o_sh, &bsh, 8, e, 1, "sk_h") < 0) goto done;
        if (get_buf(o_so, &bso, 8, e, 1, "sk_o") < 0) goto done;
        ext = PyMem_Malloc(sizeof(uint64_t) * (size_t)(e ? e : 1));
        eseg = PyMem_Malloc(sizeof(int64_t) * (size_t)(e ? e : 1));
        if (!ext || !eseg) {
            PyErr_NoMemory();
            goto done;
        }
        /* the 2n pseudo-sentences: p < n the words of sentence p, p >= n the skeleton of sentence p - n */
        Py_ssize_t w = 0;
        for (int half = 0; half < 2; half++) {
            Py_ssize_t i = 0;
            for (Py_ssize_t s = 0; s < n; s++) {
                Py_ssize_t p = s + half * n;
                ext[w] = bos;
                eseg[w++] = p;
                for (; i < t && seg[i] == s; i++) {
                    ext[w] = half ? sk[i] ^ skel_salt : h[i];
                    eseg[w++] = p;
                }
                ext[w] = eos;
                eseg[w++] = p;
            }
        }
        uint64_t *oh = boh.buf, *sh = bsh.buf;
        int64_t *oo = boo.buf, *so = bso.buf;
        PyObject *counts = PyTuple_New(4);
        if (!counts) goto done;
        Py_ssize_t wo = 0, nsk = 0;
        for (Py_ssize_t k = 1; k <= 4; k++) {
            Py_ssize_t got = 0;
            for (Py_ssize_t i = 0; i + k <= e; i++) {
                if (eseg[i] != eseg[i + k - 1]) continue;
                uint64_t v = 0; /* (s7b) Horner, as vec_ngrams */
                for (Py_ssize_t j = k - 1; j >= 0; j--) v = v * (uint64_t)q + ext[i + j];
                v = vec_mix(v ^ salts[k - 1]);
                oh[wo] = v;
                oo[wo++] = eseg[i] % n;
                got++;
                if (k == 3 && eseg[i] >= n) {
                    sh[nsk] = v;
                    so[nsk++] = eseg[i] - n;
                }
            }
            PyObject *c = PyLong_FromSsize_t(got);
            if (!c) {
                Py_DECREF(counts);
                goto done;
            }
            PyTuple_SET_ITEM(counts, k - 1, c);
        }
        result = Py_BuildValue("Nn", counts, nsk);
    }
done:
    PyMem_Free(ext);
    PyMem_Free(eseg);
    PyBuffer_Release(&bso);
    PyBuffer_Release(&bsh);
    PyBuffer_Release(&boo);
    PyBuffer_Release(&boh);
    PyBuffer_Release(&bsa);
    PyBuffer_Release(&bseg);
    PyBuffer_Release(&bsk);
    PyBuffer_Release(&bh);
    return result;
}
/* The first position in [lo, hi) of the sorted uint32 `table` whose entry is >= key, else hi: the
 * binary search of vec_lookup and vec_dense_en without branches on the data (s8: the halving step is a
 * conditional add the compiler makes a cmov, so the searches of consecutive keys overlap in the CPU
 * instead of each paying a mispredicted branch per level; the same position as the branchy loop). */
static inline int64_t bucket_lower_bound(const uint32_t *table, int64_t lo, int64_t hi, uint32_t key) {
    int64_t n = hi - lo;
    if (n <= 0) return lo;
    const uint32_t *base = table + lo;
    while (n > 1) {
        int64_t half = n / 2;
        base += (base[half - 1] < key) ? half : 0;
        n -= half;
    }
    return (int64_t)(base - table) + (*base < key);
}
/* (s8) Ask the cache for what a later look-up of `key` reads: its index entry (`stage` 0, some keys ahead)
 * or its bucket's ends in the table (`stage` 1, fewer keys ahead, the index entry loaded by then).  Between a
 * batch's calls the model's other work evicts the tables, and each look-up's dependent loads (index, then the
 * bisection) cost ~30 ns cold; prefetched, several keys' misses overlap.  A hint only: nothing is read that
 * the search would not read, and an index entry out of bounds is not followed (the search reports it). */
static inline void bucket_prefetch(const uint32_t *table, const int64_t *index, int64_t len, int shift, uint32_t key,
                                   int stage) {
    uint32_t b = key >> shift;
    if (stage == 0) {
        CL_PREFETCH(index + b);
        return;
    }
    int64_t lo = index[b], hi = index[b + 1];
    if (lo >= 0 && lo < hi && hi <= len) {
        CL_PREFETCH(table + lo);
        CL_PREFETCH(table + hi - 1);
    }
}
#define LOOKUP_AHEAD 8
/* vec_lookup(table, index, shift, keys, found, pos)
 *
 * vec.lookup: pos = min(np.searchsorted(table, key), len(table) - 1) and found = table[pos] == key for
 * each key (uint32) in the sorted uint32 `table` (not empty).  index (int64, 2**(32 - shift) + 1
 * entries): np.searchsorted(table, b << shift) for every bucket b, then len(table); the search runs
 * inside the key's bucket only (a few entries, not the ~17 levels of the whole table).
 */
static PyObject *vec_lookup(PyObject *self, PyObject *args) {
    PyObject *o_t, *o_i, *o_k, *o_f, *o_p;
    int shift;
    if (!PyArg_ParseTuple(args, "OOiOOO", &o_t, &o_i, &shift, &o_k, &o_f, &o_p)) return NULL;
    if (shift < 8 || shift > 31) {
        PyErr_SetString(PyExc_ValueError, "shift must be in [8, 31]");
        return NULL;
    }
    Py_buffer bt = {0}, bi = {0}, bk = {0}, bf = {0}, bp = {0};
    PyObject *result = NULL;
    Py_ssize_t nb = ((Py_ssize_t)1 << (32 - shift)) + 1;
    if (get_buf(o_t, &bt, 4, 1, 0, "table") < 0) goto done;
    if (get_buf(o_i, &bi, 8, nb, 0, "index") < 0) goto done;
    if (get_buf(o_k, &bk, 4, 0, 0, "keys") < 0) goto done;
    Py_ssize_t m = bk.len / 4, len = bt.len / 4;
    if (get_buf(o_f, &bf, 1, m, 1, "found") < 0) goto done;
    if (get_buf(o_p, &bp, 8, m, 1, "pos") < 0) goto done;
    {
        const uint32_t *table = bt.buf, *keys = bk.buf;
        const int64_t *index = bi.buf;
        uint8_t *found = bf.buf;
        int64_t *pos = bp.buf;
        /* (the index is checked where it is read, not all of it on every call: 4,097 entries cost more
         * than a sentence's look-ups; vec._bucket_index builds it, these checks keep a bad one in bounds) */
        if (index[0] != 0 || index[nb - 1] != len) {
            PyErr_SetString(PyExc_ValueError, "index does not fit the table");
            goto done;
        }
        for (Py_ssize_t i = 0; i < m; i++) {
            uint32_t key = keys[i];
            uint32_t b = key >> shift;
            int64_t lo = index[b], hi = index[b + 1];
            if (lo < 0 || lo > hi || hi > len) {
                PyErr_SetString(PyExc_ValueError, "index does not fit the table");
                goto done;
            }
            lo = bucket_lower_bound(table, lo, hi, key); /* (s8) */
            int64_t p = lo < len - 1 ? lo : len - 1;
            pos[i] = p;
            found[i] = table[p] == key;
        }
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bp);
    PyBuffer_Release(&bf);
    PyBuffer_Release(&bk);
    PyBuffer_Release(&bi);
    PyBuffer_Release(&bt);
    return result;
}
/* ---- garble dense (s6b) ---- */
/* vec.skeleton's frequency class: numpy's float32 floor division -lp // 3 (npy_divmodf: fmodf, a
 * division, floorf: all exact in IEEE single precision, so the same float), np.minimum(4, x), the
 * cast to int64 and np.clip(., 0, 5).  A NaN or a negative class clips to 0 (numpy's cast gives
 * INT64_MIN there on x86-64, which the clip also takes to 0). */
static int vec_freq_class(float lp) {
    float a = -lp, b = 3.0f, mod = fmodf(a, b), div = (a - mod) / b, fl;
    if (mod) {
        if ((b < 0) != (mod < 0)) div -= 1.0f;
    }
    if (div) {
        fl = floorf(div);
        if (isgreater(div - fl, 0.5f)) fl += 1.0f;
    } else {
        fl = copysignf(0.0f, a / b);
    }
    float x = (4.0f < fl || isnan(4.0f)) ? 4.0f : fl; /* np.minimum(4, fl): the first unless the second is smaller or NaN */
    if (isnan(x) || !(x >= 0.0f)) return 0;
    return (int)x; /* 0..4 */
}

/* vec_skeleton(found, pos, vocab_fw, vocab_logp, upper, cls, h, shape, num, let, dig, out)
 *
 * vec.skeleton for found (uint8) / pos (int64) of every token in the vocabulary, vocab_fw (uint8) and
 * vocab_logp (float32, the same length as the vocabulary), the tokens' upper-case start (uint8),
 * class (uint8) and hash (uint64); shape: the 12 shape salts, num: the <N> salt.  out (uint64): a
 * word's hash if it is a function word, else its shape + frequency class; a number's <N>; any
 * other token's hash. */
static PyObject *vec_skeleton(PyObject *self, PyObject *args) {
    PyObject *o_f, *o_p, *o_fw, *o_lp, *o_u, *o_c, *o_h, *o_sh, *o_out;
    unsigned long long num;
    int let, dig;
    if (!PyArg_ParseTuple(args, "OOOOOOOOKiiO", &o_f, &o_p, &o_fw, &o_lp, &o_u, &o_c, &o_h, &o_sh, &num, &let, &dig,
                          &o_out))
        return NULL;
    Py_buffer bf = {0}, bp = {0}, bfw = {0}, blp = {0}, bu = {0}, bc = {0}, bh = {0}, bsh = {0}, bo = {0};
    PyObject *result = NULL;
    if (get_buf(o_h, &bh, 8, 0, 0, "h") < 0) goto done;
    Py_ssize_t t = bh.len / 8;
    if (get_buf(o_f, &bf, 1, t, 0, "found") < 0) goto done;
    if (get_buf(o_p, &bp, 8, t, 0, "pos") < 0) goto done;
    if (get_buf(o_fw, &bfw, 1, 0, 0, "vocab_fw") < 0) goto done;
    if (get_buf(o_lp, &blp, 4, bfw.len, 0, "vocab_logp") < 0) goto done;
    if (get_buf(o_u, &bu, 1, t, 0, "upper") < 0) goto done;
    if (get_buf(o_c, &bc, 1, t, 0, "cls") < 0) goto done;
    if (get_buf(o_sh, &bsh, 8, 12, 0, "shape") < 0) goto done;
    if (get_buf(o_out, &bo, 8, t, 1, "out") < 0) goto done;
    {
        const uint8_t *found = bf.buf, *fw = bfw.buf, *upper = bu.buf, *cls = bc.buf;
        const int64_t *pos = bp.buf;
        const float *lps = blp.buf;
        const uint64_t *h = bh.buf, *shape = bsh.buf;
        uint64_t *out = bo.buf;
        Py_ssize_t nv = bfw.len;
        for (Py_ssize_t i = 0; i < t; i++)
            if (found[i] && (pos[i] < 0 || pos[i] >= nv)) {
                PyErr_SetString(PyExc_ValueError, "pos out of the vocabulary");
                goto done;
            }
        for (Py_ssize_t i = 0; i < t; i++) {
            uint64_t v = h[i];
            if (cls[i] == dig) {
                v = num;
            } else if (cls[i] == let && !(found[i] && fw[pos[i]])) {
                int fc = found[i] ? vec_freq_class(lps[pos[i]]) : 5;
                v = shape[(upper[i] ? 6 : 0) + fc];
            }
            out[i] = v;
        }
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bsh);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bu);
    PyBuffer_Release(&blp);
    PyBuffer_Release(&bfw);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bp);
    PyBuffer_Release(&bf);
    return result;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* numpy's np.minimum / np.maximum on doubles (ufunc.at's scalar loop): a NaN in either wins, and of
 * equal values (0.0 and -0.0) the second. */
static inline double np_min(double a, double b) { return (a < b || isnan(a)) ? a : b; }
static inline double np_max(double a, double b) { return (a > b || isnan(a)) ? a : b; }

/* vec_dense_en(seg, cls, h, upper, start, end, found, pos, vocab_logp, oov_logp, bigram, bindex, shift,
 *              bigram_logp, f3, o3, lm2_salt, p, let, n, d)
 *
 * The English dense columns of vec.featurise (2-10 and 12 of vec.DENSE_NAMES) for n sentences, into
 * d (float32, n rows of d's width, C order): tokens (owner int64 non-decreasing in [0, n), class
 * uint8, hash uint64, upper uint8, start/end int64), their vocabulary look-up (found uint8, pos
 * int64), vocab_logp (float32) and oov_logp (the float vec.featurise rounds to float32), the sorted
 * clean bigram fingerprints (uint32, not empty) with their vec._bucket_index (int64) and shift, and
 * bigram_logp (float32); the skeleton trigrams' found (uint8) and owners o3 (int64).
 *
 * Exact because the numpy path's float work is: per-sentence sums of float32 values (widened)
 * by np.bincount (a sequential double sum from 0.0, done here in the same order), minima and
 * maxima by ufunc.at from 0.0 (np_min / np_max above), float32 subtractions, and double divisions of
 * those sums and of counts, then the float32 cast of the assignment: each the same IEEE operation. */
static PyObject *vec_dense_en(PyObject *self, PyObject *args) {
    PyObject *o_seg, *o_cls, *o_h, *o_u, *o_st, *o_en, *o_f, *o_p, *o_vlp, *o_bt, *o_bi, *o_blp, *o_f3, *o_o3, *o_d;
    double oov_logp;
    int shift, let;
    unsigned long long salt, pmul;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOdOOiOOOKKinO", &o_seg, &o_cls, &o_h, &o_u, &o_st, &o_en, &o_f, &o_p, &o_vlp,
                          &oov_logp, &o_bt, &o_bi, &shift, &o_blp, &o_f3, &o_o3, &salt, &pmul, &let, &n, &o_d))
        return NULL;
    if (shift < 8 || shift > 31 || n < 0) {
        PyErr_SetString(PyExc_ValueError, "shift must be in [8, 31] and n >= 0");
        return NULL;
    }
    Py_buffer bseg = {0}, bcls = {0}, bh = {0}, bu = {0}, bst = {0}, ben = {0}, bf = {0}, bp = {0}, bvlp = {0},
              bbt = {0}, bbi = {0}, bblp = {0}, bf3 = {0}, bo3 = {0}, bd = {0};
    PyObject *result = NULL;
    double *acc = NULL;
    uint64_t *keys = NULL;
    Py_ssize_t nbk = ((Py_ssize_t)1 << (32 - shift)) + 1;
    if (get_buf(o_seg, &bseg, 8, 0, 0, "seg") < 0) goto done;
    Py_ssize_t t = bseg.len / 8;
    if (get_buf(o_cls, &bcls, 1, t, 0, "cls") < 0) goto done;
    if (get_buf(o_h, &bh, 8, t, 0, "h") < 0) goto done;
    if (get_buf(o_u, &bu, 1, t, 0, "upper") < 0) goto done;
    if (get_buf(o_st, &bst, 8, t, 0, "start") < 0) goto done;
    if (get_buf(o_en, &ben, 8, t, 0, "end") < 0) goto done;
    if (get_buf(o_f, &bf, 1, t, 0, "found") < 0) goto done;
    if (get_buf(o_p, &bp, 8, t, 0, "pos") < 0) goto done;
    if (get_buf(o_vlp, &bvlp, 4, 0, 0, "vocab_logp") < 0) goto done;
    if (get_buf(o_bt, &bbt, 4, 1, 0, "bigram") < 0) goto done;
    if (get_buf(o_bi, &bbi, 8, nbk, 0, "bindex") < 0) goto done;
    if (get_buf(o_blp, &bblp, 4, bbt.len / 4, 0, "bigram_logp") < 0) goto done;
    if (get_buf(o_f3, &bf3, 1, 0, 0, "f3") < 0) goto done;
    if (get_buf(o_o3, &bo3, 8, bf3.len, 0, "o3") < 0) goto done;
    if (get_buf(o_d, &bd, 4, 0, 1, "d") < 0) goto done;
    if ((n == 0 && bd.len != 0) || (n > 0 && (bd.len / 4) % n != 0) || (n > 0 && bd.len / 4 / n < 13)) {
        PyErr_SetString(PyExc_ValueError, "d must hold n rows of at least 13 columns");
        goto done;
    }
    {
        const int64_t *seg = bseg.buf, *start = bst.buf, *end = ben.buf, *pos = bp.buf, *index = bbi.buf, *o3 = bo3.buf;
        const uint8_t *cls = bcls.buf, *upper = bu.buf, *found = bf.buf, *f3 = bf3.buf;
        const uint64_t *h = bh.buf;
        const uint32_t *table = bbt.buf;
        const float *vlp = bvlp.buf, *blps = bblp.buf;
        float *d = bd.buf;
        Py_ssize_t nv = bvlp.len / 4, nt = bbt.len / 4, m3 = bf3.len, w = n ? bd.len / 4 / n : 0;
        for (Py_ssize_t i = 0; i < t; i++)
            if (seg[i] < 0 || seg[i] >= n || (i && seg[i] < seg[i - 1]) || (found[i] && (pos[i] < 0 || pos[i] >= nv))) {
                PyErr_SetString(PyExc_ValueError, "owners must be non-decreasing in [0, n), pos inside vocab_logp");
                goto done;
            }
        for (Py_ssize_t i = 0; i < m3; i++)
            if (o3[i] < 0 || o3[i] >= n) {
                PyErr_SetString(PyExc_ValueError, "o3 out of [0, n)");
                goto done;
            }
        /* per sentence: 0 tokens, 1 words, 2 oov, 3 lower oov, 4 ulp sum, 5 ulp min, 6 bigrams, 7 unseen,
         * 8 blp sum, 9 max surprisal, 10 caps, 11 skel3 trigrams, 12 skel3 unseen, 13 distinct bigrams */
        if (index[0] != 0 || index[nbk - 1] != nt) {
            PyErr_SetString(PyExc_ValueError, "bindex does not fit the bigram table");
            goto done;
        }
        enum { K = 14 };
        acc = PyMem_Calloc((size_t)(n ? n : 1), K * sizeof(double));
        keys = PyMem_Malloc((size_t)(t ? t : 1) * sizeof(uint64_t));
        if (!acc || !keys) {
            PyErr_NoMemory();
            goto done;
        }
        float oov32 = (float)oov_logp;
        Py_ssize_t nk = 0;
        for (Py_ssize_t i = 0; i < t; i++) {
            /* (s8) prefetch the look-ups of later tokens: their vocabulary entry, their bigram's bucket */
            for (int stage = 0; stage < 2; stage++) {
                Py_ssize_t j = i + (stage ? LOOKUP_AHEAD : 2 * LOOKUP_AHEAD);
                if (j < t && seg[j - 1] == seg[j]) {
                    uint64_t bj = vec_mix(((h[j - 1] ^ (uint64_t)salt) * (uint64_t)pmul) ^ h[j]);
                    bucket_prefetch(table, index, nt, shift, (uint32_t)(bj >> 32), stage);
                }
                if (stage && j < t && found[j] && pos[j] >= 0 && pos[j] < nv) CL_PREFETCH(vlp + pos[j]);
            }
            double *a = acc + seg[i] * K;
            int word = cls[i] == let;
            float ulp = found[i] ? vlp[pos[i]] : oov32;
            a[0] += 1.0;
            if (word) {
                a[1] += 1.0;
                if (!found[i]) {
                    a[2] += 1.0;
                    if (!upper[i] && end[i] - start[i] >= 4) a[3] += 1.0;
                }
                a[4] += (double)ulp;
                a[5] = np_min(a[5], (double)ulp);
            }
            int same = i > 0 && seg[i - 1] == seg[i];
            if (word && upper[i] && same) a[10] += 1.0;
            if (same) {
                uint64_t bh_ = vec_mix(((h[i - 1] ^ (uint64_t)salt) * (uint64_t)pmul) ^ h[i]);
                uint32_t key = (uint32_t)(bh_ >> 32);
                uint32_t bkt = key >> shift;
                int64_t lo = index[bkt], hi = index[bkt + 1];
                if (lo < 0 || lo > hi || hi > nt) { /* (checked where read, as in vec_lookup) */
                    PyErr_SetString(PyExc_ValueError, "bindex does not fit the bigram table");
                    goto done;
                }
                lo = bucket_lower_bound(table, lo, hi, key); /* (s8) */
                int64_t p = lo < nt - 1 ? lo : nt - 1;
                int fb = table[p] == key;
                float back = ulp - 2.5f; /* the second word's unigram log-probability, backed off */
                float blp = fb ? blps[p] : back;
                a[6] += 1.0;
                if (!fb) a[7] += 1.0;
                a[8] += (double)blp;
                a[9] = np_max(a[9], (double)(-blp));
                keys[nk++] = bh_ >> 24;
            }
        }
        for (Py_ssize_t i = 0; i < m3; i++) {
            double *a = acc + o3[i] * K;
            a[11] += 1.0;
            if (!f3[i]) a[12] += 1.0;
        }
        for (Py_ssize_t s = 0, kpos = 0; s < n; s++) {
            double *a = acc + s * K;
            Py_ssize_t c = (Py_ssize_t)a[6];
            if (c > 0) { /* the bigrams of one sentence are consecutive */
                uint64_t *ks = keys + kpos;
                if (c <= 48) { /* (s8) a short sentence's keys by insertion (qsort's call per comparison was
                                * most of this loop); only the number of distinct keys is read */
                    for (Py_ssize_t q = 1; q < c; q++) {
                        uint64_t v = ks[q];
                        Py_ssize_t j = q;
                        for (; j > 0 && ks[j - 1] > v; j--) ks[j] = ks[j - 1];
                        ks[j] = v;
                    }
                } else {
                    qsort(ks, (size_t)c, sizeof(uint64_t), cmp_u64);
                }
                Py_ssize_t u = 1;
                for (Py_ssize_t q = 1; q < c; q++) u += ks[q] != ks[q - 1];
                a[13] = (double)u;
            }
            kpos += c;
            double nw = a[1] > 1.0 ? a[1] : 1.0, nb = a[6] > 1.0 ? a[6] : 1.0, ntok = a[0] > 1.0 ? a[0] : 1.0;
            double n3 = a[11] > 1.0 ? a[11] : 1.0;
            float *row = d + s * w;
            row[2] = (float)(a[2] / nw);
            row[3] = (float)(a[3] / nw);
            row[4] = (float)(a[4] / nw / 10.0);
            row[5] = (float)(a[5] / 10.0);
            row[6] = (float)(a[7] / nb);
            row[7] = (float)(a[8] / nb / 10.0);
            row[8] = (float)(a[9] / 10.0);
            row[9] = (float)(a[12] / n3);
            row[10] = (float)((a[6] - a[13]) / nb);
            row[12] = (float)(a[10] / ntok);
        }
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyMem_Free(keys);
    PyMem_Free(acc);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&bo3);
    PyBuffer_Release(&bf3);
    PyBuffer_Release(&bblp);
    PyBuffer_Release(&bbi);
    PyBuffer_Release(&bbt);
    PyBuffer_Release(&bvlp);
    PyBuffer_Release(&bp);
    PyBuffer_Release(&bf);
    PyBuffer_Release(&ben);
    PyBuffer_Release(&bst);
    PyBuffer_Release(&bu);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bcls);
    PyBuffer_Release(&bseg);
    return result;
}
/* signals.has_tortured_head's prefilter: a 64-bit hash of every word (FNV-1a, then vec_mix), of every
 * pair of consecutive words (vec_mix(h1 * P + h2)) and of every triple (vec_mix(pair * P + h3)), modulo
 * 2**64; signals._head_hashes computes the same for the phrase heads in Python. */
static inline uint64_t sig_word_hash(const unsigned char *w, Py_ssize_t n) {
    uint64_t h = 0xCBF29CE484222325ULL;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ w[i]) * 0x100000001B3ULL;
    return vec_mix(h);
}

/* the first position of the sorted t[0..n) whose entry is >= key, else n */
static Py_ssize_t u64_lower_bound(const uint64_t *t, Py_ssize_t n, uint64_t key) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (t[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int sorted_has(const uint64_t *t, Py_ssize_t n, uint64_t key) {
    Py_ssize_t lo = u64_lower_bound(t, n, key);
    return lo < n && t[lo] == key;
}

static inline int ascii_space(unsigned char c) { /* bytes.split()'s separators */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c';
}

/* sig_heads(words, pairs, triples) -> bool
 *
 * words: bytes whose words are the runs between bytes.split()'s separators; pairs / triples: sorted
 * uint64 hashes of the two-word and three-word phrase heads.  False: no pair and no triple of
 * consecutive words hashes into them, so none of them is a head (a hash of equal words is equal);
 * True: maybe (the caller checks the words themselves). */
static PyObject *sig_heads(PyObject *self, PyObject *args) {
    PyObject *o_p, *o_t;
    const char *s;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "y#OO", &s, &len, &o_p, &o_t)) return NULL;
    Py_buffer bp = {0}, bt = {0};
    PyObject *result = NULL;
    if (get_buf(o_p, &bp, 8, 0, 0, "pairs") < 0) goto done;
    if (get_buf(o_t, &bt, 8, 0, 0, "triples") < 0) goto done;
    {
        const unsigned char *u = (const unsigned char *)s;
        const uint64_t *pairs = bp.buf, *triples = bt.buf;
        Py_ssize_t np_ = bp.len / 8, nt = bt.len / 8, i = 0, nw = 0;
        /* (the tables are not checked for order on each call: ~15,000 entries cost more than a sample's
         * words; signals._head_hashes sorts them, and the search stays inside them either way) */
        uint64_t h1 = 0, h2 = 0; /* the previous two words' hashes (h2 the last) */
        int hit = 0;
        while (!hit) {
            while (i < len && ascii_space(u[i])) i++;
            if (i >= len) break;
            Py_ssize_t a = i;
            while (i < len && !ascii_space(u[i])) i++;
            uint64_t h = sig_word_hash(u + a, i - a);
            if (nw >= 1) {
                uint64_t ph = vec_mix(h2 * 0x100000001B3ULL + h);
                if (sorted_has(pairs, np_, ph)) hit = 1;
            }
            if (nw >= 2) {
                uint64_t th = vec_mix(vec_mix(h1 * 0x100000001B3ULL + h2) * 0x100000001B3ULL + h);
                if (sorted_has(triples, nt, th)) hit = 1;
            }
            h1 = h2;
            h2 = h;
            nw++;
        }
        result = PyBool_FromLong(hit);
    }
done:
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bp);
    return result;
}

/* sig_needles(text, needles, bitmap) -> bytes
 *
 * Which of `needles` (a tuple of ASCII str, each of >= 3 characters) occur in `text` (any str) as
 * substrings: flag k of the result is 1 when needles[k] occurs (`needles[k] in text`).  One pass over
 * the text: bitmap (8,192 bytes) has bit ((c0 * 131 + c1) * 131 + c2) & 0xFFFF set for the first three
 * characters of every needle; only where that bit is set are the needles compared.  (28 `in` scans of
 * signals._maybe_two_senses cost ~25 ns per character.) */
static PyObject *sig_needles(PyObject *self, PyObject *args) {
    PyObject *text, *needles, *o_bm;
    if (!PyArg_ParseTuple(args, "UO!O", &text, &PyTuple_Type, &needles, &o_bm)) return NULL;
    Py_buffer bm = {0};
    PyObject *result = NULL;
    uint32_t *nh = NULL; /* each needle's three-character hash */
    if (get_buf(o_bm, &bm, 1, 8192, 0, "bitmap") < 0) return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(needles), n = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *s = PyTuple_GET_ITEM(needles, j);
        if (!PyUnicode_Check(s) || !PyUnicode_IS_ASCII(s) || PyUnicode_GET_LENGTH(s) < 3) {
            PyErr_SetString(PyExc_ValueError, "needles must be ASCII str of >= 3 characters");
            goto done;
        }
    }
    nh = PyMem_Malloc((size_t)(k ? k : 1) * sizeof(uint32_t));
    if (!nh) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        const Py_UCS1 *p = PyUnicode_1BYTE_DATA(PyTuple_GET_ITEM(needles, j));
        nh[j] = ((p[0] * 131u + p[1]) * 131u + p[2]) & 0xFFFFu;
    }
    result = PyBytes_FromStringAndSize(NULL, k);
    if (!result) goto done;
    {
        char *found = PyBytes_AS_STRING(result);
        memset(found, 0, (size_t)k);
        const uint8_t *bits = bm.buf;
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t left = k;
        for (Py_ssize_t i = 0; i + 3 <= n && left > 0; i++) {
            Py_UCS4 c0 = PyUnicode_READ(kind, data, i), c1, c2;
            if (c0 >= 128) continue;
            c1 = PyUnicode_READ(kind, data, i + 1);
            c2 = PyUnicode_READ(kind, data, i + 2);
            if (c1 >= 128 || c2 >= 128) continue;
            uint32_t hsh = ((c0 * 131u + c1) * 131u + c2) & 0xFFFFu;
            if (!(bits[hsh >> 3] & (1u << (hsh & 7)))) continue;
            for (Py_ssize_t j = 0; j < k; j++) {
                if (found[j] || nh[j] != hsh) continue;
                PyObject *s = PyTuple_GET_ITEM(needles, j);
                Py_ssize_t m = PyUnicode_GET_LENGTH(s);
                if (m > n - i) continue;
                const Py_UCS1 *p = PyUnicode_1BYTE_DATA(s);
                Py_ssize_t q = 0;
                while (q < m && PyUnicode_READ(kind, data, i + q) == p[q]) q++;
                if (q == m) {
                    found[j] = 1;
                    left--;
                }
            }
        }
    }
done:
    PyMem_Free(nh);
    PyBuffer_Release(&bm);
    return result;
}
/* ---- end garble ---- */

/* ---- boilerplate s6 ---- */
#include <structmember.h> /* PyMember_SetOne (in Python.h from 3.12 on) */

static int word_cp(Py_UCS4 c) { return c == '_' || Py_UNICODE_ISALNUM(c); }

typedef struct {
    Py_ssize_t nk;
    Py_UCS4 **w;          /* the needles as UCS4 */
    Py_ssize_t *len;
    const char *bnd;
    int16_t head[256];    /* needles by the low byte of their first character: first index, -1 for none */
    int16_t *next;        /* the next needle with the same low byte */
    uint8_t pair[8192];   /* one bit per (low byte of the first character, of the second) of a needle */
    uint8_t one[256];     /* low bytes of the one-character needles */
    int64_t *hits;        /* (start, k) pairs in text order */
    Py_ssize_t nh, cap;
} LitScan;

static int lit_push(LitScan *ls, Py_ssize_t i, Py_ssize_t k) {
    if (ls->nh == ls->cap) {
        Py_ssize_t ncap = ls->cap ? 2 * ls->cap : 64;
        int64_t *nw = realloc(ls->hits, (size_t)ncap * 2 * sizeof(int64_t));
        if (!nw) {
            PyErr_NoMemory();
            return -1;
        }
        ls->hits = nw;
        ls->cap = ncap;
    }
    ls->hits[2 * ls->nh] = i;
    ls->hits[2 * ls->nh + 1] = k;
    ls->nh++;
    return 0;
}

/* one scan per text kind; a position is tried only when the low bytes of its character and the next
 * one are those of a needle's first two (a 64 kbit table: a needle's bigram is rare in text, its first
 * character is not), so the table test is the whole cost at most characters */
#define LIT_SCAN(NAME, T)                                                                                  \
    static int NAME(LitScan *ls, const T *t, Py_ssize_t n) {                                              \
        for (Py_ssize_t i = 0; i < n; i++) {                                                              \
            unsigned c = (unsigned)(t[i] & 0xFF);                                                         \
            if (!ls->one[c]) {                                                                            \
                if (i + 1 == n) continue;                                                                 \
                unsigned q = c << 8 | (unsigned)(t[i + 1] & 0xFF);                                        \
                if (!(ls->pair[q >> 3] & (1u << (q & 7)))) continue;                                      \
            }                                                                                             \
            for (int k = ls->head[c]; k >= 0; k = ls->next[k]) {                                           \
                const Py_UCS4 *w = ls->w[k];                                                              \
                Py_ssize_t len = ls->len[k], j = 0;                                                       \
                if (len > n - i) continue;                                                                \
                while (j < len && w[j] == (Py_UCS4)t[i + j]) j++;                                         \
                if (j < len) continue;                                                                    \
                if (ls->bnd[k] && i + len < n && word_cp((Py_UCS4)t[i + len])) continue;                  \
                if (lit_push(ls, i, k) < 0) return -1;                                                    \
            }                                                                                             \
        }                                                                                                 \
        return 0;                                                                                         \
    }
LIT_SCAN(lit_scan1, Py_UCS1)
LIT_SCAN(lit_scan2, Py_UCS2)
LIT_SCAN(lit_scan4, Py_UCS4)

/* literal_hits(text, needles, boundary) -> list of (start, k)
 *
 * Every occurrence of every needle (a tuple of at most 32767 non-empty str) in text, overlapping
 * ones included, grouped by needle in the order given and each needle's in text order: what a
 * loop of str.find per needle finds, for one pass over the text (a bitmap of the needles' first
 * two characters) instead of one per needle.  boundary (bytes, one per needle): where nonzero, an
 * occurrence counts only at the end of the text or before a non-word character (re's \w for str:
 * alphanumeric or "_"), as a regex literal followed by \b does when it ends in a word character.
 */
static PyObject *literal_hits(PyObject *self, PyObject *args) {
    PyObject *text, *needles;
    const char *bnd;
    Py_ssize_t nbnd;
    if (!PyArg_ParseTuple(args, "UO!y#", &text, &PyTuple_Type, &needles, &bnd, &nbnd)) return NULL;
    Py_ssize_t nk = PyTuple_GET_SIZE(needles);
    if (nbnd != nk || nk > 32767) {
        PyErr_SetString(PyExc_ValueError, "one boundary flag per needle, at most 32767 needles");
        return NULL;
    }
    LitScan *ls = calloc(1, sizeof(LitScan));
    if (!ls) return PyErr_NoMemory();
    PyObject *result = NULL;
    ls->nk = nk;
    ls->bnd = bnd;
    ls->w = calloc((size_t)(nk ? nk : 1), sizeof(Py_UCS4 *));
    ls->len = calloc((size_t)(nk ? nk : 1), sizeof(Py_ssize_t));
    ls->next = calloc((size_t)(nk ? nk : 1), sizeof(int16_t));
    if (!ls->w || !ls->len || !ls->next) {
        PyErr_NoMemory();
        goto done;
    }
    memset(ls->head, 0xFF, sizeof ls->head);
    for (Py_ssize_t k = nk - 1; k >= 0; k--) {
        PyObject *w = PyTuple_GET_ITEM(needles, k);
        if (!PyUnicode_Check(w) || PyUnicode_GET_LENGTH(w) == 0) {
            PyErr_SetString(PyExc_ValueError, "needles must be non-empty str");
            goto done;
        }
        ls->len[k] = PyUnicode_GET_LENGTH(w);
        ls->w[k] = PyUnicode_AsUCS4Copy(w);
        if (!ls->w[k]) goto done;
        unsigned c = (unsigned)(ls->w[k][0] & 0xFF);
        if (ls->len[k] == 1) {
            ls->one[c] = 1;
        } else {
            unsigned q = c << 8 | (unsigned)(ls->w[k][1] & 0xFF);
            ls->pair[q >> 3] |= (uint8_t)(1u << (q & 7));
        }
        ls->next[k] = ls->head[c];
        ls->head[c] = (int16_t)k;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text), rc;
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND)
        rc = lit_scan1(ls, data, n);
    else if (kind == PyUnicode_2BYTE_KIND)
        rc = lit_scan2(ls, data, n);
    else
        rc = lit_scan4(ls, data, n);
    if (rc < 0) goto done;
    result = PyList_New(ls->nh);
    if (!result) goto done;
    {
        /* (s8c) grouped by needle with a counting sort (stable: each needle's hits stay in text order)
         * instead of one pass over the hits per needle: the same list */
        Py_ssize_t *at = calloc((size_t)nk + 1, sizeof(Py_ssize_t));
        if (!at) {
            Py_CLEAR(result);
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t h = 0; h < ls->nh; h++) at[ls->hits[2 * h + 1] + 1]++;
        for (Py_ssize_t k = 0; k < nk; k++) at[k + 1] += at[k];
        for (Py_ssize_t h = 0; h < ls->nh; h++) {
            Py_ssize_t k = (Py_ssize_t)ls->hits[2 * h + 1];
            PyObject *t = PyTuple_New(2), *a = PyLong_FromSsize_t((Py_ssize_t)ls->hits[2 * h]),
                     *b = PyLong_FromSsize_t(k); /* (no format string parsed per hit) */
            if (t && a && b) {
                PyTuple_SET_ITEM(t, 0, a);
                PyTuple_SET_ITEM(t, 1, b);
            } else {
                Py_XDECREF(t);
                Py_XDECREF(a);
                Py_XDECREF(b);
                t = NULL;
            }
            if (!t) {
                Py_CLEAR(result); /* the slots not yet set are NULL: list_dealloc skips them */
                free(at);
                goto done;
            }
            PyList_SET_ITEM(result, at[k]++, t);
        }
        free(at);
    }
done:
    if (ls->w)
        for (Py_ssize_t k = 0; k < nk; k++) PyMem_Free(ls->w[k]);
    free(ls->w);
    free(ls->len);
    free(ls->next);
    free(ls->hits);
    free(ls);
    return result;
}

/* new_frozen(cls, names, columns) -> list
 *
 * One instance of cls per row of columns (a tuple of equal-length lists, one per attribute in
 * names, each a slot of cls): cls.__new__(cls), then each slot set through its member descriptor,
 * as object.__setattr__(obj, name, value) sets it -- what the __init__ of a frozen slots dataclass
 * without __post_init__ does (the caller checks that), without its Python frame and one
 * object.__setattr__ call by name per attribute (~1.4 us per object in Python; the stage makes
 * ~140 per dev page).
 */
static PyObject *new_frozen(PyObject *self, PyObject *args) {
    PyTypeObject *cls;
    PyObject *names, *cols;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyType_Type, &cls, &PyTuple_Type, &names, &PyTuple_Type, &cols))
        return NULL;
    Py_ssize_t nf = PyTuple_GET_SIZE(names);
    if (PyTuple_GET_SIZE(cols) != nf || nf == 0 || !cls->tp_new) {
        PyErr_SetString(PyExc_ValueError, "one column per name, at least one, and a class that can be made");
        return NULL;
    }
    Py_ssize_t n = -1;
    for (Py_ssize_t f = 0; f < nf; f++) {
        PyObject *c = PyTuple_GET_ITEM(cols, f);
        if (!PyUnicode_Check(PyTuple_GET_ITEM(names, f)) || !PyList_Check(c) ||
            (n >= 0 && PyList_GET_SIZE(c) != n)) {
            PyErr_SetString(PyExc_ValueError, "names must be str and columns lists of one length");
            return NULL;
        }
        n = PyList_GET_SIZE(c);
    }
    /* each attribute's slot (a member descriptor of cls): set as object.__setattr__ would, without
     * looking it up again per object */
    PyMemberDef *members[64];
    if (nf > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 attributes");
        return NULL;
    }
    for (Py_ssize_t f = 0; f < nf; f++) {
        PyObject *d = _PyType_Lookup(cls, PyTuple_GET_ITEM(names, f));
        if (!d || !Py_IS_TYPE(d, &PyMemberDescr_Type) || ((PyMemberDescrObject *)d)->d_common.d_type != cls) {
            PyErr_SetString(PyExc_ValueError, "every name must be a slot of the class itself");
            return NULL;
        }
        members[f] = ((PyMemberDescrObject *)d)->d_member;
    }
    PyObject *empty = PyTuple_New(0);
    if (!empty) return NULL;
    PyObject *out = PyList_New(n);
    if (!out) {
        Py_DECREF(empty);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *obj = cls->tp_new(cls, empty, NULL);
        if (!obj) goto fail;
        PyList_SET_ITEM(out, i, obj);
        if (!PyObject_TypeCheck(obj, cls)) { /* a __new__ that returns another type: no slots at those offsets */
            PyErr_SetString(PyExc_TypeError, "new_frozen: cls.__new__ did not return an instance of cls");
            goto fail;
        }
        for (Py_ssize_t f = 0; f < nf; f++) {
            /* a column may be shorter now if the caller's lists changed: re-checked per row */
            PyObject *c = PyTuple_GET_ITEM(cols, f);
            if (PyList_GET_SIZE(c) <= i) {
                PyErr_SetString(PyExc_ValueError, "a column changed size");
                goto fail;
            }
            if (PyMember_SetOne((char *)obj, members[f], PyList_GET_ITEM(c, i)) < 0) goto fail;
        }
    }
    Py_DECREF(empty);
    return out;
fail:
    Py_DECREF(empty);
    Py_DECREF(out);
    return NULL;
}

/* A line key of line_keys2 ("boilerplate s8c"): its span in the page, hash and count. */
typedef struct {
    Py_ssize_t a, b;  /* the key's span in the page */
    Py_hash_t h;
    int64_t count;
} KeyRow;

/* ---- end boilerplate s6 ---- */

/* ---- language s7 ---- */
/* The language kernels' own layout version (cleaner/language/__init__.py checks it). */
#define CLEANER_LANGUAGE_ABI 3 /* 3: session 9's lid_unpack */

#define LJ_SLOTS 2048 /* open addressing, power of two; more than 4x the function words of all languages */
#define LJ_MAXW 32    /* longer tokens match no function word (and are still counted as tokens) */

static int lj_letter(Py_UCS4 c) { return c < 128 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* lb[0, len_line) = the line's head s.. as the Python path's byte table translates it */
#define LJ_FILL(T)                                                                                         \
    {                                                                                                      \
        const T *src = (const T *)data + s;                                                                \
        for (Py_ssize_t q = 0; q < len_line; q++) {                                                        \
            Py_UCS4 c = src[q];                                                                            \
            lb[q] = lj_letter(c) ? (unsigned char)(c | 0x20) : (c == '-' ? '-' : ' ');                     \
        }                                                                                                  \
    }

static uint32_t lj_hash(const unsigned char *w, Py_ssize_t n) {
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ w[i]) * 16777619u;
    return h ^ (h >> 15);
}

/* lang_judge(text, starts, ends, head, words, masks, doc) -> bytes, one decision per line
 *
 * For lines [starts[i], ends[i]) of text (int64 offsets) whose letters are all ASCII, the decision
 * _Judge.ascii_lines makes in Python (cleaner/language/__init__.py), from the first `head`
 * characters of each line: its tokens are the runs of ASCII letters joined by single hyphens,
 * lower-cased (any other character, non-ASCII ones included, separates them); words (a tuple of
 * lower-case ASCII bytes) are the function words and masks (uint32, one per word) the languages
 * (bits) each is a function word of; doc is the document language's bit number.
 *   1: confirmed (3+ hits and >= 20% of the tokens are doc's function words),
 *   2: may be another language (_may_differ: 12+ tokens with < 2 or < 10% doc hits, or 2+ tokens
 *      in the table and another language's count >= max(2, doc hits + 1)),
 *   0: inherits.
 * The comparisons are the Python ones, in doubles, so the decisions are the same line for line.
 */
static PyObject *lang_judge(PyObject *self, PyObject *args) {
    PyObject *text, *words;
    Py_buffer bs, be, bm;
    Py_ssize_t head;
    int doc;
    PyObject *obs, *obe, *obm;
    if (!PyArg_ParseTuple(args, "UOOnO!Oi", &text, &obs, &obe, &head, &PyTuple_Type, &words, &obm, &doc)) return NULL;
    Py_ssize_t nw = PyTuple_GET_SIZE(words);
    if (nw > LJ_SLOTS / 4 || doc < 0 || doc > 31 || head < 0) {
        PyErr_SetString(PyExc_ValueError, "lang_judge: too many words, or doc/head out of range");
        return NULL;
    }
    if (PyObject_GetBuffer(obs, &bs, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    Py_ssize_t n = bs.len / 8;
    if (get_buf(obe, &be, 8, n, 0, "lang_judge ends") < 0) {
        PyBuffer_Release(&bs);
        return NULL;
    }
    if (get_buf(obm, &bm, 4, nw, 0, "lang_judge masks") < 0) {
        PyBuffer_Release(&bs);
        PyBuffer_Release(&be);
        return NULL;
    }
    PyObject *result = NULL;
    unsigned char *lb = NULL;
    if (bs.itemsize != 8 || bs.len % 8 || ((uintptr_t)bs.buf % 8)) {
        PyErr_SetString(PyExc_ValueError, "lang_judge starts: int64 expected");
        goto done;
    }
    const int64_t *st = bs.buf, *en = be.buf;
    const uint32_t *masks = bm.buf;
    /* the table: slot -> word index + 1 (0: empty) */
    int16_t slot[LJ_SLOTS];
    memset(slot, 0, sizeof slot);
    for (Py_ssize_t k = 0; k < nw; k++) {
        PyObject *w = PyTuple_GET_ITEM(words, k);
        if (!PyBytes_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "lang_judge: words must be bytes");
            goto done;
        }
        uint32_t h = lj_hash((const unsigned char *)PyBytes_AS_STRING(w), PyBytes_GET_SIZE(w)) & (LJ_SLOTS - 1);
        while (slot[h]) h = (h + 1) & (LJ_SLOTS - 1);
        slot[h] = (int16_t)(k + 1);
    }
    Py_ssize_t tlen = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    lb = malloc((size_t)head + 1);
    if (!lb) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, n);
    if (!result) goto done;
    char *out = PyBytes_AS_STRING(result);
    const uint32_t dbit = 1u << doc;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t s = (Py_ssize_t)st[i], e = (Py_ssize_t)en[i];
        if (s < 0 || e > tlen || s > e) {
            Py_CLEAR(result);
            PyErr_SetString(PyExc_ValueError, "lang_judge: a line outside the text");
            goto done;
        }
        if (e - s > head) e = s + head;
        Py_ssize_t len_line = e - s;
        /* the head as bytes: ASCII letters lower-cased, hyphens kept, anything else a blank */
        switch (kind) {
        case PyUnicode_1BYTE_KIND: LJ_FILL(Py_UCS1) break;
        case PyUnicode_2BYTE_KIND: LJ_FILL(Py_UCS2) break;
        default: LJ_FILL(Py_UCS4) break;
        }
        Py_ssize_t ntok = 0, own = 0, found = 0;
        int counts[32] = {0};
        Py_ssize_t j = 0;
        while (j < len_line) {
            if (lb[j] == ' ' || lb[j] == '-') {
                j++;
                continue;
            }
            /* a token: letters, and hyphens with a letter on both sides (within the head) */
            Py_ssize_t b = j;
            while (j < len_line && (lb[j] != ' ' && (lb[j] != '-' || (j + 1 < len_line && lb[j + 1] != ' ' &&
                                                                        lb[j + 1] != '-'))))
                j++;
            Py_ssize_t len = j - b;
            ntok++;
            if (len > LJ_MAXW) continue;
            uint32_t h = lj_hash(lb + b, len) & (LJ_SLOTS - 1);
            for (int16_t k; (k = slot[h]) != 0; h = (h + 1) & (LJ_SLOTS - 1)) {
                PyObject *w = PyTuple_GET_ITEM(words, k - 1);
                if (PyBytes_GET_SIZE(w) == len && memcmp(PyBytes_AS_STRING(w), lb + b, (size_t)len) == 0) {
                    uint32_t m = masks[k - 1];
                    found++;
                    if (m & dbit) own++;
                    for (int bit = 0; bit < 32 && (m >> bit); bit++)
                        if ((m >> bit) & 1u) counts[bit]++;
                    break;
                }
            }
        }
        char d = 0;
        if (own >= 3 && (double)own >= 0.2 * (double)ntok) {
            d = 1;
        } else if (ntok >= 12 && (own < 2 || (double)own < 0.1 * (double)ntok)) {
            d = 2;
        } else if (ntok >= 2 && found >= 2) {
            int other = 0;
            for (int b = 0; b < 32; b++)
                if (b != doc && counts[b] > other) other = counts[b];
            Py_ssize_t need = own + 1 > 2 ? own + 1 : 2;
            if (other > 0 && other >= need) d = 2;
        }
        out[i] = d;
    }
done:
    free(lb);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&be);
    PyBuffer_Release(&bm);
    return result;
}
/* fastText lid.176 inference (the supervised, hierarchical-softmax, quantized-input model the language
 * stage ships with), written after fastText 0.9.2's Dictionary::getLine/computeSubwords, Model::
 * computeHidden, ProductQuantizer::addcode and HierarchicalSoftmaxLoss::dfs, operation for operation in
 * the same float order, so that the probabilities are fastText's to the bit (tests/language/
 * test_language_native.py compares them with fasttext-predict's).  Why: fasttext-predict spends ~0.29 us
 * per character (a std::string and an unordered_map lookup per character n-gram); this is several
 * times cheaper, and the document sample's call was a quarter of the language stage. */

typedef struct {
    int32_t nwords, nlabels, bucket, minn, maxn, dim, nsubq, dsub, lastdsub, qnorm, eos;
    int64_t rows, npr;
    char *vbytes;        /* the vocabulary's words, back to back */
    int64_t *voff;       /* word i is vbytes[voff[i], voff[i + 1]) */
    int32_t nvocab;
    int32_t *vtab;       /* open addressing by fastText's hash: vocabulary id, -1 empty */
    uint32_t vmask;
    int32_t *pkv;         /* the pruned n-gram buckets as (key, row) pairs, one cache line per probe: key -1 empty */
    uint32_t pmask;
    uint64_t *pbits;      /* one bit per bucket: kept by the pruning (s8: most n-grams are not, and this 250 KB
                           * bitmap answers them without a probe of the 1 MB table) */
    uint8_t *codes, *ncodes;
    float *cent, *ncent, *wo;
    int32_t *left, *right;
} FtModel;

static void ft_free(FtModel *f) {
    if (!f) return;
    free(f->vbytes); free(f->voff); free(f->vtab); free(f->pkv); free(f->pbits);
    free(f->codes); free(f->ncodes); free(f->cent); free(f->ncent); free(f->wo); free(f->left); free(f->right);
    free(f);
}

static void ft_capsule_free(PyObject *cap) { ft_free(PyCapsule_GetPointer(cap, "cleaner.ftmodel")); }

static uint32_t ft_hash(const unsigned char *s, Py_ssize_t n) {
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++) {
        h = h ^ (uint32_t)(int32_t)(int8_t)s[i];
        h = h * 16777619u;
    }
    return h;
}

static void *ft_copy(PyObject *obj, Py_ssize_t itemsize, Py_ssize_t n, const char *what) {
    Py_buffer v;
    if (get_buf(obj, &v, itemsize, n, 0, what) < 0) return NULL;
    void *p = malloc((size_t)(n * itemsize) + 1);
    if (!p) {
        PyBuffer_Release(&v);
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(p, v.buf, (size_t)(n * itemsize));
    PyBuffer_Release(&v);
    return p;
}

/* the smallest power of two >= 2n + 2; callers bound n below 2^30, so it fits in 32 bits */
static uint32_t ft_pow2(int64_t n) {
    uint64_t s = 1;
    while ((int64_t)s < 2 * n + 2) s <<= 1;
    return (uint32_t)s;
}

/* FT_MAX_DEPTH: deepest label tree accepted. ft_dfs recurses once per level, and fastText's Huffman
 * tree over lid.176's 176 labels is about 20 deep; a file that builds a chain of 100,000 levels would
 * overflow the C stack (fastText itself crashes on it). */
#define FT_MAX_DEPTH 1024

/* ft_model(ints, vocab, prune_keys, prune_vals, codes, centroids, norm_codes, norm_centroids, wo, left, right)
 *   -> capsule
 * ints: (nwords, nlabels, bucket, minn, maxn, dim, nsubq, dsub, lastdsub, qnorm, rows, npr) as a tuple;
 * vocab: tuple of bytes (the dictionary in id order, labels last); prune_* (int32, npr each; npr -1:
 * not pruned); codes (uint8, rows * nsubq); centroids (float32, dim * 256); norm_codes (uint8, rows)
 * and norm_centroids (float32, 256) when qnorm; wo (float32, (nlabels - 1) * dim): the internal
 * nodes' rows; left/right (int32, 2 * nlabels - 1): the Huffman tree as fastText builds it. */
static PyObject *ft_model(PyObject *self, PyObject *args) {
    int32_t nwords, nlabels, bucket, minn, maxn, dim, nsubq, dsub, lastdsub, qnorm;
    long long rows, npr;
    PyObject *vocab, *pk, *pv, *codes, *cent, *ncodes, *ncent, *wo, *left, *right;
    if (!PyArg_ParseTuple(args, "(iiiiiiiiiiLL)O!OOOOOOOOO", &nwords, &nlabels, &bucket, &minn, &maxn, &dim, &nsubq,
                          &dsub, &lastdsub, &qnorm, &rows, &npr, &PyTuple_Type, &vocab, &pk, &pv, &codes, &cent,
                          &ncodes, &ncent, &wo, &left, &right))
        return NULL;
    Py_ssize_t nvocab = PyTuple_GET_SIZE(vocab);
    if (nwords < 1 || nlabels < 2 || bucket < 1 || dim < 1 || dim > 256 || nsubq < 1 || dsub < 1 || lastdsub < 1 ||
        (int64_t)(nsubq - 1) * dsub + lastdsub != dim || nvocab != (Py_ssize_t)nwords + nlabels || rows < nwords ||
        rows > (1LL << 31) || npr >= (1LL << 30) || minn < 1 || maxn < minn || maxn > 64) {
        PyErr_SetString(PyExc_ValueError, "ft_model: unsupported model layout");
        return NULL;
    }
    FtModel *f = calloc(1, sizeof(FtModel));
    if (!f) return PyErr_NoMemory();
    f->nwords = nwords; f->nlabels = nlabels; f->bucket = bucket; f->minn = minn; f->maxn = maxn; f->dim = dim;
    f->nsubq = nsubq; f->dsub = dsub; f->lastdsub = lastdsub; f->qnorm = qnorm; f->rows = rows; f->npr = npr;
    f->nvocab = (int32_t)nvocab;
    f->eos = -1;
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < nvocab; i++) {
        PyObject *w = PyTuple_GET_ITEM(vocab, i);
        if (!PyBytes_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "ft_model: vocabulary words must be bytes");
            goto fail;
        }
        total += PyBytes_GET_SIZE(w);
    }
    f->vbytes = malloc((size_t)total + 1);
    f->voff = malloc(sizeof(int64_t) * (size_t)(nvocab + 1));
    f->vmask = ft_pow2(nvocab) - 1;
    f->vtab = malloc(sizeof(int32_t) * ((size_t)f->vmask + 1));
    if (!f->vbytes || !f->voff || !f->vtab) {
        PyErr_NoMemory();
        goto fail;
    }
    memset(f->vtab, 0xFF, sizeof(int32_t) * ((size_t)f->vmask + 1));
    total = 0;
    for (Py_ssize_t i = 0; i < nvocab; i++) {
        PyObject *w = PyTuple_GET_ITEM(vocab, i);
        Py_ssize_t n = PyBytes_GET_SIZE(w);
        memcpy(f->vbytes + total, PyBytes_AS_STRING(w), (size_t)n);
        f->voff[i] = total;
        uint32_t h = ft_hash((const unsigned char *)PyBytes_AS_STRING(w), n) & f->vmask;
        while (f->vtab[h] >= 0) h = (h + 1) & f->vmask;
        f->vtab[h] = (int32_t)i;
        if (n == 4 && memcmp(PyBytes_AS_STRING(w), "</s>", 4) == 0) f->eos = (int32_t)i;
        total += n;
    }
    f->voff[nvocab] = total;
    if (f->eos < 0 || f->eos >= nwords) {
        PyErr_SetString(PyExc_ValueError, "ft_model: no </s> word");
        goto fail;
    }
    if (npr > 0) {
        int32_t *keys = ft_copy(pk, 4, (Py_ssize_t)npr, "ft_model prune_keys");
        int32_t *vals = keys ? ft_copy(pv, 4, (Py_ssize_t)npr, "ft_model prune_vals") : NULL;
        f->pmask = ft_pow2(npr) - 1;
        f->pkv = vals ? malloc(2 * sizeof(int32_t) * ((size_t)f->pmask + 1)) : NULL;
        f->pbits = f->pkv ? calloc(((size_t)bucket + 63) / 64, sizeof(uint64_t)) : NULL;
        if (!keys || !vals || !f->pkv || !f->pbits) {
            free(keys); free(vals);
            if (!PyErr_Occurred()) PyErr_NoMemory();
            goto fail;
        }
        memset(f->pkv, 0xFF, 2 * sizeof(int32_t) * ((size_t)f->pmask + 1));
        for (int64_t i = 0; i < npr; i++) {
            if (keys[i] < 0 || vals[i] < 0 || (int64_t)nwords + vals[i] >= rows) {
                free(keys); free(vals);
                PyErr_SetString(PyExc_ValueError, "ft_model: a pruned bucket out of range");
                goto fail;
            }
            uint32_t h = ((uint32_t)keys[i] * 2654435761u) & f->pmask;
            while (f->pkv[2 * h] >= 0 && f->pkv[2 * h] != keys[i]) h = (h + 1) & f->pmask;
            f->pkv[2 * h] = keys[i]; /* a repeated key keeps the last value, as std::unordered_map's operator[] does */
            f->pkv[2 * h + 1] = vals[i];
            if (keys[i] < bucket) f->pbits[keys[i] >> 6] |= (uint64_t)1 << (keys[i] & 63);
        }
        free(keys); free(vals);
    } else if (npr == 0 || rows < (int64_t)nwords + bucket) {
        if (npr != 0) {
            PyErr_SetString(PyExc_ValueError, "ft_model: fewer rows than buckets");
            goto fail;
        }
    }
    if (!(f->codes = ft_copy(codes, 1, (Py_ssize_t)(rows * nsubq), "ft_model codes"))) goto fail;
    if (!(f->cent = ft_copy(cent, 4, (Py_ssize_t)dim * 256, "ft_model centroids"))) goto fail;
    if (qnorm) {
        if (!(f->ncodes = ft_copy(ncodes, 1, (Py_ssize_t)rows, "ft_model norm_codes"))) goto fail;
        if (!(f->ncent = ft_copy(ncent, 4, 256, "ft_model norm_centroids"))) goto fail;
    }
    if (!(f->wo = ft_copy(wo, 4, (Py_ssize_t)(nlabels - 1) * dim, "ft_model wo"))) goto fail;
    if (!(f->left = ft_copy(left, 4, 2 * (Py_ssize_t)nlabels - 1, "ft_model left"))) goto fail;
    if (!(f->right = ft_copy(right, 4, 2 * (Py_ssize_t)nlabels - 1, "ft_model right"))) goto fail;
    for (int32_t i = 0; i < 2 * nlabels - 1; i++) {
        int32_t l = f->left[i], r = f->right[i];
        int ok = (l == -1 && r == -1) ? i < nlabels : (i >= nlabels && l >= 0 && r >= 0 && l < i && r < i);
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "ft_model: not a tree");
            goto fail;
        }
    }
    {
        /* children have smaller ids than their parent, so one pass from the root down gives every
         * node's depth; each node but the root must have exactly one parent (a DAG would make
         * ft_dfs's walk exponential), and no leaf may lie deeper than FT_MAX_DEPTH */
        int32_t nn = 2 * nlabels - 1;
        int32_t *depth = malloc(sizeof(int32_t) * (size_t)nn);
        if (!depth) {
            PyErr_NoMemory();
            goto fail;
        }
        for (int32_t i = 0; i < nn; i++) depth[i] = -1;
        depth[nn - 1] = 0;
        int ok = 1;
        for (int32_t i = nn - 1; i >= 0 && ok; i--) {
            if (depth[i] < 0 || depth[i] > FT_MAX_DEPTH) {
                ok = 0;
                break;
            }
            if (f->left[i] == -1) continue;
            int32_t kids[2] = {f->left[i], f->right[i]};
            for (int c = 0; c < 2; c++) {
                if (depth[kids[c]] != -1) ok = 0; /* a second parent */
                depth[kids[c]] = depth[i] + 1;
            }
        }
        free(depth);
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "ft_model: not a tree of at most 1024 levels");
            goto fail;
        }
    }
    PyObject *cap = PyCapsule_New(f, "cleaner.ftmodel", ft_capsule_free);
    if (!cap) goto fail;
    return cap;
fail:
    ft_free(f);
    return NULL;
}

/* one input row added to the hidden vector: QuantMatrix::addRowToVector + ProductQuantizer::addcode */
static inline void ft_add_row(const FtModel *f, float *x, int64_t id) {
    float norm = f->qnorm ? f->ncent[f->ncodes[id]] : 1.0f;
    const uint8_t *code = f->codes + (int64_t)f->nsubq * id;
    if (f->dsub == 2 && f->lastdsub == 2) { /* lid.176's layout: pairs of floats, the same operations */
        for (int32_t m = 0; m < f->nsubq; m++) {
            const float *c = f->cent + ((int64_t)m * 256 + code[m]) * 2;
            x[2 * m] += norm * c[0];
            x[2 * m + 1] += norm * c[1];
        }
        return;
    }
    for (int32_t m = 0; m < f->nsubq; m++) {
        int32_t d = f->dsub;
        const float *c;
        if (m == f->nsubq - 1) {
            c = f->cent + (int64_t)m * 256 * f->dsub + (int64_t)code[m] * f->lastdsub;
            d = f->lastdsub;
        } else {
            c = f->cent + ((int64_t)m * 256 + code[m]) * f->dsub;
        }
        for (int32_t n = 0; n < d; n++) x[m * f->dsub + n] += norm * c[n];
    }
}

static int32_t ft_find(const FtModel *f, const unsigned char *w, Py_ssize_t n) {
    uint32_t h = ft_hash(w, n) & f->vmask;
    for (int32_t id; (id = f->vtab[h]) >= 0; h = (h + 1) & f->vmask) {
        if (f->voff[id + 1] - f->voff[id] == n && memcmp(f->vbytes + f->voff[id], w, (size_t)n) == 0) return id;
    }
    return -1;
}

/* Dictionary::computeSubwords of "<" + word + ">" (built in buf), each kept n-gram's row added */
static void ft_subwords(const FtModel *f, const unsigned char *word, Py_ssize_t len, float *x, int64_t *count) {
    for (Py_ssize_t i = 0; i < len; i++) {
        if ((word[i] & 0xC0) == 0x80) continue;
        uint32_t h = 2166136261u;
        Py_ssize_t j = i;
        for (int32_t n = 1; j < len && n <= f->maxn; n++) {
            h = (h ^ (uint32_t)(int32_t)(int8_t)word[j]) * 16777619u;
            j++;
            while (j < len && (word[j] & 0xC0) == 0x80) {
                h = (h ^ (uint32_t)(int32_t)(int8_t)word[j]) * 16777619u;
                j++;
            }
            if (n >= f->minn && !(n == 1 && (i == 0 || j == len))) {
                int32_t id = (int32_t)(h % (uint32_t)f->bucket);
                if (f->npr == 0) continue;
                if (f->npr > 0) {
                    if (!((f->pbits[(uint32_t)id >> 6] >> ((uint32_t)id & 63)) & 1)) continue; /* not kept */
                    uint32_t p = ((uint32_t)id * 2654435761u) & f->pmask;
                    int32_t k;
                    while ((k = f->pkv[2 * p]) >= 0 && k != id) p = (p + 1) & f->pmask;
                    if (k < 0) continue;
                    id = f->pkv[2 * p + 1];
                }
                ft_add_row(f, x, (int64_t)f->nwords + id);
                (*count)++;
            }
        }
    }
}

typedef struct {
    float score;
    int32_t label;
} FtPred;

/* std::push_heap / std::pop_heap of libstdc++ with fastText's comparePairs (l.first > r.first: the
 * heap's front is the lowest score), so that ties come out in fastText's order */
static void ft_push_heap(FtPred *h, Py_ssize_t len) {
    Py_ssize_t hole = len - 1;
    FtPred v = h[hole];
    Py_ssize_t parent = (hole - 1) / 2;
    while (hole > 0 && h[parent].score > v.score) {
        h[hole] = h[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    h[hole] = v;
}

static void ft_adjust_heap(FtPred *h, Py_ssize_t hole, Py_ssize_t len, FtPred v) {
    Py_ssize_t top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (h[child].score > h[child - 1].score) child--;
        h[hole] = h[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        h[hole] = h[child - 1];
        hole = child - 1;
    }
    Py_ssize_t parent = (hole - 1) / 2;
    while (hole > top && h[parent].score > v.score) {
        h[hole] = h[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    h[hole] = v;
}

static void ft_pop_heap(FtPred *h, Py_ssize_t len) {
    if (len < 2) return;
    FtPred v = h[len - 1];
    h[len - 1] = h[0];
    ft_adjust_heap(h, 0, len - 1, v);
}

static float ft_std_log(float x) { return (float)log((double)x + 1e-5); }

static void ft_dfs(const FtModel *f, int32_t k, float thr, int32_t node, float score, FtPred *heap, Py_ssize_t *size,
                   const float *hidden) {
    if (score < thr) return;
    if (*size == k && score < heap[0].score) return;
    if (f->left[node] == -1 && f->right[node] == -1) {
        heap[*size].score = score;
        heap[*size].label = node;
        (*size)++;
        ft_push_heap(heap, *size);
        if (*size > k) {
            ft_pop_heap(heap, *size);
            (*size)--;
        }
        return;
    }
    const float *w = f->wo + (int64_t)(node - f->nlabels) * f->dim;
    float d = 0.0f;
    for (int32_t j = 0; j < f->dim; j++) d += w[j] * hidden[j];
    float p = (float)(1. / (double)(1.0f + expf(-d)));
    ft_dfs(f, k, thr, f->left[node], score + ft_std_log((float)(1.0 - (double)p)), heap, size, hidden);
    ft_dfs(f, k, thr, f->right[node], score + ft_std_log(p), heap, size, hidden);
}

/* ft_predict(model, text, k) -> list of (label id, probability), best first: FastText::predictLine on
 * text (UTF-8 bytes, no newline; the line's end adds </s> as fastText's reader does) with threshold 0 */
static PyObject *ft_predict(PyObject *self, PyObject *args) {
    PyObject *cap;
    const char *s;
    Py_ssize_t n;
    int k;
    if (!PyArg_ParseTuple(args, "Oy#i", &cap, &s, &n, &k)) return NULL;
    const FtModel *f = PyCapsule_GetPointer(cap, "cleaner.ftmodel");
    if (!f) return NULL;
    if (k < 1 || k > f->nlabels) {
        PyErr_SetString(PyExc_ValueError, "ft_predict: k out of range");
        return NULL;
    }
    float hidden[256];
    memset(hidden, 0, sizeof hidden);
    int64_t count = 0;
    unsigned char stackbuf[512];
    unsigned char *buf = stackbuf;
    Py_ssize_t cap_buf = (Py_ssize_t)sizeof stackbuf;
    const unsigned char *t = (const unsigned char *)s;
    Py_ssize_t i = 0;
    int stop = 0, oom = 0;
    Py_BEGIN_ALLOW_THREADS
    while (!stop) {
        while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t' || t[i] == '\v' || t[i] == '\f' ||
                         t[i] == 0))
            i++;
        const unsigned char *w;
        Py_ssize_t len;
        if (i >= n) { /* the line's end: </s> */
            w = (const unsigned char *)"</s>";
            len = 4;
            stop = 1;
        } else {
            Py_ssize_t b = i;
            while (i < n && !(t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t' || t[i] == '\v' ||
                              t[i] == '\f' || t[i] == 0))
                i++;
            w = t + b;
            len = i - b;
        }
        int32_t wid = ft_find(f, w, len);
        if (wid >= f->nwords) continue;                              /* a label */
        if (wid < 0 && len >= 9 && memcmp(w, "__label__", 9) == 0) continue; /* an unknown label */
        if (wid >= 0) {
            ft_add_row(f, hidden, wid);
            count++;
            if (wid == f->eos) break; /* (</s> has no subwords, and ends the line) */
        }
        if (len + 2 > cap_buf) {
            unsigned char *nb = realloc(buf == stackbuf ? NULL : buf, (size_t)(len + 2));
            if (!nb) {
                oom = 1;
                break;
            }
            buf = nb;
            cap_buf = len + 2;
        }
        buf[0] = '<';
        memcpy(buf + 1, w, (size_t)len);
        buf[len + 1] = '>';
        ft_subwords(f, buf, len + 2, hidden, &count);
    }
    Py_END_ALLOW_THREADS
    if (buf != stackbuf) free(buf);
    if (oom) return PyErr_NoMemory();
    FtPred heap[2 * 176 + 2];
    FtPred *hp = heap;
    if (k + 1 > (int)(sizeof heap / sizeof heap[0])) {
        hp = malloc(sizeof(FtPred) * (size_t)(k + 1));
        if (!hp) return PyErr_NoMemory();
    }
    Py_ssize_t size = 0;
    if (count > 0) {
        float a = (float)(1.0 / (double)count);
        for (int32_t j = 0; j < f->dim; j++) hidden[j] *= a;
        ft_dfs(f, k, ft_std_log(0.0f), 2 * f->nlabels - 2, 0.0f, hp, &size, hidden);
        for (Py_ssize_t m = size; m > 1; m--) ft_pop_heap(hp, m); /* std::sort_heap */
    }
    PyObject *out = PyList_New(size);
    for (Py_ssize_t m = 0; out && m < size; m++) {
        PyObject *item = Py_BuildValue("(id)", hp[m].label, (double)expf(hp[m].score));
        if (!item) Py_CLEAR(out);
        else PyList_SET_ITEM(out, m, item);
    }
    if (hp != heap) free(hp);
    return out;
}
/* lang_lines(text, table, nscripts) -> (n, starts, ends, counts, ascii, page)
 *
 * The per-character pass of detect_blocks in one loop over the text instead of ~10 numpy passes (a
 * UTF-32 copy, a table gather, a bincount and a cumulative sum per script): the lines exactly as
 * cleaner.document.split_lines cuts them (at "\n"; a "\r" before the "\n" is not part of the line),
 * those of 2+ characters kept (n of them): starts/ends (int64 offsets), counts (int64, n x nscripts:
 * the characters of each script id in the line, by table: uint8 script id per code point, code
 * points past its end read its last entry, as np.minimum does in scripts.script_ids_of), ascii
 * (uint8 per line: 1 when no character of the line is >= 128 and a letter (id != 0) or past the
 * table) and page (int64, nscripts: every character of the text by script id).  The buffers hold
 * room for every line; the first n are filled. */
static PyObject *lang_lines(PyObject *self, PyObject *args) {
    PyObject *text, *otab;
    int ns;
    if (!PyArg_ParseTuple(args, "UOi", &text, &otab, &ns)) return NULL;
    if (ns < 1 || ns > 255) {
        PyErr_SetString(PyExc_ValueError, "lang_lines: nscripts out of range");
        return NULL;
    }
    Py_buffer bt;
    if (get_buf(otab, &bt, 1, 1, 0, "lang_lines table") < 0) return NULL;
    const uint8_t *tab = bt.buf;
    Py_ssize_t ntab = bt.len;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t lines = 1;
    for (Py_ssize_t i = 0; i < n; i++) lines += PyUnicode_READ(kind, data, i) == '\n';
    PyObject *ost = PyBytes_FromStringAndSize(NULL, lines * 8);
    PyObject *oen = PyBytes_FromStringAndSize(NULL, lines * 8);
    PyObject *oco = size_mul(lines, 8 * (Py_ssize_t)ns) >= 0 ? PyBytes_FromStringAndSize(NULL, lines * 8 * ns)
                                                               : PyErr_NoMemory();
    PyObject *oas = PyBytes_FromStringAndSize(NULL, lines);
    PyObject *opg = PyBytes_FromStringAndSize(NULL, 8 * (Py_ssize_t)ns);
    PyObject *result = NULL;
    if (!ost || !oen || !oco || !oas || !opg) goto done;
    int64_t *st = (int64_t *)PyBytes_AS_STRING(ost), *en = (int64_t *)PyBytes_AS_STRING(oen);
    int64_t *co = (int64_t *)PyBytes_AS_STRING(oco), *pg = (int64_t *)PyBytes_AS_STRING(opg);
    uint8_t *as = (uint8_t *)PyBytes_AS_STRING(oas);
    memset(pg, 0, 8 * (size_t)ns);
    int64_t row[256]; /* ids past nscripts are not counted: they are not returned */
    Py_ssize_t kept = 0, start = 0;
    while (start <= n) {
        memset(row, 0, 8 * (size_t)ns);
        int ascii = 1;
        Py_ssize_t i = start;
        for (; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c == '\n') break;
            uint8_t id = tab[c < (Py_UCS4)ntab ? c : (Py_UCS4)(ntab - 1)];
            if (id < ns) row[id]++;
            if (c >= 128 && (id != 0 || c >= (Py_UCS4)ntab)) ascii = 0;
        }
        Py_ssize_t end = i;
        /* (a "\r" is id 0 and below 128: dropping it from the line changes neither counts nor ascii) */
        if (i < n && end > start && PyUnicode_READ(kind, data, end - 1) == '\r') end--;
        for (int s = 0; s < ns; s++) pg[s] += row[s];
        if (end - start >= 2) {
            st[kept] = start;
            en[kept] = end;
            memcpy(co + kept * ns, row, 8 * (size_t)ns);
            as[kept] = (uint8_t)ascii;
            kept++;
        }
        start = i + 1;
    }
    pg[0] += lines - 1; /* the newlines (id 0) */
    result = Py_BuildValue("(nOOOOO)", kept, ost, oen, oco, oas, opg);
done:
    Py_XDECREF(ost);
    Py_XDECREF(oen);
    Py_XDECREF(oco);
    Py_XDECREF(oas);
    Py_XDECREF(opg);
    PyBuffer_Release(&bt);
    return result;
}
/* ---- end language s7 ---- */

/* ---- garble s7 ---- */
/* sig_heads_text(text, pairs, triples, bitmap) -> bool
 *
 * sig_heads of the words signals.has_tortured_head's byte tokeniser finds, straight from the str (no
 * translated copy): a word is a run of ASCII letters (lower-cased for the hash) and of apostrophes
 * (U+0027) that have an ASCII letter on either side; every other code point, a non-ASCII one included,
 * ends a word.  On ASCII text these are the words of signals.ascii_word_bytes(text, _LOWER_WORD_BYTES)
 * with their bytes; on other text those of the same tokeniser on text.encode("ascii", "replace")
 * (signals._may_hold_head says why that is a sound prefilter).  bitmap (32,768 bytes): bit h >> 46 set
 * for every hash of pairs and triples; a pair or triple whose bit is clear is not searched (the two
 * binary searches per word in ~8,000 hashes were most of sig_heads' time).  Same answer as sig_heads. */
static inline int sig_letter(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static inline int sig_bit(const unsigned char *bm, uint64_t h) {
    uint64_t b = h >> 46;
    return (bm[b >> 3] >> (b & 7)) & 1;
}

static PyObject *sig_heads_text(PyObject *self, PyObject *args) {
    PyObject *text, *o_p, *o_t, *o_bm;
    if (!PyArg_ParseTuple(args, "UOOO", &text, &o_p, &o_t, &o_bm)) return NULL;
    Py_buffer bp = {0}, bt = {0}, bm = {0};
    PyObject *result = NULL;
    if (get_buf(o_p, &bp, 8, 0, 0, "pairs") < 0) goto done;
    if (get_buf(o_t, &bt, 8, 0, 0, "triples") < 0) goto done;
    if (get_buf(o_bm, &bm, 1, 1 << 15, 0, "bitmap") < 0) goto done;
    if (bm.len != (1 << 15)) {
        PyErr_SetString(PyExc_ValueError, "bitmap must hold 32,768 bytes");
        goto done;
    }
    {
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t len = PyUnicode_GET_LENGTH(text), i = 0, nw = 0;
        const uint64_t *pairs = bp.buf, *triples = bt.buf;
        const unsigned char *bits = bm.buf;
        Py_ssize_t np_ = bp.len / 8, nt = bt.len / 8;
        uint64_t h1 = 0, h2 = 0; /* the previous two words' hashes (h2 the last) */
        int hit = 0;
        while (!hit && i < len) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (!sig_letter(c)) { /* a word starts with a letter: a kept apostrophe follows one */
                i++;
                continue;
            }
            uint64_t h = 0xCBF29CE484222325ULL;
            for (;;) {
                h = (h ^ (uint64_t)(c | 0x20)) * 0x100000001B3ULL;
                i++;
                if (i >= len) break;
                c = PyUnicode_READ(kind, data, i);
                if (sig_letter(c)) continue;
                if (c == '\'' && i + 1 < len && sig_letter(PyUnicode_READ(kind, data, i + 1))) {
                    h = (h ^ (uint64_t)'\'') * 0x100000001B3ULL;
                    i++;
                    c = PyUnicode_READ(kind, data, i); /* a letter: the loop goes on with it */
                    continue;
                }
                break;
            }
            h = vec_mix(h);
            if (nw >= 1) {
                uint64_t ph = vec_mix(h2 * 0x100000001B3ULL + h);
                if (sig_bit(bits, ph) && sorted_has(pairs, np_, ph)) hit = 1;
            }
            if (nw >= 2) {
                uint64_t th = vec_mix(vec_mix(h1 * 0x100000001B3ULL + h2) * 0x100000001B3ULL + h);
                if (sig_bit(bits, th) && sorted_has(triples, nt, th)) hit = 1;
            }
            h1 = h2;
            h2 = h;
            nw++;
        }
        result = PyBool_FromLong(hit);
    }
done:
    PyBuffer_Release(&bm);
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bp);
    return result;
}
/* vec_encode(sentences, low_table, codes, low, seg, offs, low64) -> glued_hint
 *
 * vec.encode in one pass: the sentences (a list of str) laid out as " " + "  ".join(sentences) + " " (each
 * sentence between two spaces), as code points (codes, uint32; lone surrogates as their values, as
 * "utf-32-le"/"surrogatepass" gives them), lower-cased by low_table (uint32, 0x10000 entries; code points above
 * the BMP kept), the owner sentence of each (seg, int64) and the sentence offsets (offs, int64, n + 1 entries).
 * low64: None or a uint64 copy of low (featurise's character n-grams).  Capacities: exactly sum(len + 2).
 * glued_hint: featurise's glued-word prefilter, any i >= 1 with codes[i] != low[i], codes[i-1] == low[i-1] and
 * codes[i-1] >= 97 (the numpy expression on the same arrays), and (GARBLE_ABI 5) some i in [3, len - 2) where
 * GLUED_RE could match (see the loop): when the hint is false the regex finds nothing that the numpy path
 * would count, so d[:, 11] is the same; it ran on 153 of 474 batches of the dev pages before, ~70 us each.  Why: the join, the UTF-32 encoding, the table
 * gather, np.repeat and np.cumsum were eight array operations per batch of ~9 sentences. */
static PyObject *vec_encode(PyObject *self, PyObject *args) {
    PyObject *o_sent, *o_tab, *o_codes, *o_low, *o_seg, *o_offs, *o_low64;
    if (!PyArg_ParseTuple(args, "O!OOOOOO", &PyList_Type, &o_sent, &o_tab, &o_codes, &o_low, &o_seg, &o_offs,
                          &o_low64))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(o_sent), total = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *s = PyList_GET_ITEM(o_sent, r);
        if (!PyUnicode_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "sentences must be str");
            return NULL;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        if (len > PY_SSIZE_T_MAX / 8 - 2 - total) {
            PyErr_SetString(PyExc_OverflowError, "sentences too long");
            return NULL;
        }
        total += len + 2;
    }
    Py_buffer bt = {0}, bc = {0}, bl = {0}, bs = {0}, bo = {0}, b64 = {0};
    PyObject *result = NULL;
    int want64 = o_low64 != Py_None;
    if (get_buf(o_tab, &bt, 4, 0x10000, 0, "low_table") < 0) goto done;
    if (get_buf(o_codes, &bc, 4, total, 1, "codes") < 0) goto done;
    if (get_buf(o_low, &bl, 4, total, 1, "low") < 0) goto done;
    if (get_buf(o_seg, &bs, 8, total, 1, "seg") < 0) goto done;
    if (get_buf(o_offs, &bo, 8, n + 1, 1, "offs") < 0) goto done;
    if (want64 && get_buf(o_low64, &b64, 8, total, 1, "low64") < 0) goto done;
    {
        const uint32_t *tab = bt.buf;
        uint32_t *codes = bc.buf, *low = bl.buf;
        int64_t *seg = bs.buf, *offs = bo.buf;
        uint64_t *low64 = want64 ? b64.buf : NULL;
        Py_ssize_t w = 0;
        offs[0] = 0;
        for (Py_ssize_t r = 0; r < n; r++) {
            PyObject *s = PyList_GET_ITEM(o_sent, r);
            int kind = PyUnicode_KIND(s);
            const void *data = PyUnicode_DATA(s);
            Py_ssize_t len = PyUnicode_GET_LENGTH(s);
            codes[w] = ' ';
            seg[w++] = r;
            for (Py_ssize_t i = 0; i < len; i++) {
                codes[w] = (uint32_t)PyUnicode_READ(kind, data, i);
                seg[w++] = r;
            }
            codes[w] = ' ';
            seg[w++] = r;
            offs[r + 1] = w;
        }
        int hint = 0;
        for (Py_ssize_t i = 0; i < total; i++) {
            uint32_t c = codes[i], l = c < 0x10000 ? tab[c] : c;
            low[i] = l;
            if (want64) low64[i] = l;
            if (i && c != l && codes[i - 1] == low[i - 1] && codes[i - 1] >= 97) hint = 1;
        }
        if (hint) {
            /* (s7b) and a place where features.GLUED_RE could match: a possible \p{Lu} (a code point that
             * lower-cases to another, or any non-ASCII one) with three possible \p{Ll} before it and two
             * after (>= 'a' and lower-casing to themselves: every \p{Ll} is both) */
            int glued = 0;
            for (Py_ssize_t i = 3; i + 2 < total && !glued; i++) {
                uint32_t c = codes[i];
                if (c == low[i] && c < 128) continue;
                glued = 1;
                for (Py_ssize_t k = i - 3; k <= i + 2 && glued; k++)
                    if (k != i) glued = codes[k] >= 97 && codes[k] == low[k];
            }
            hint = glued;
        }
        result = PyBool_FromLong(hint);
    }
done:
    PyBuffer_Release(&b64);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bl);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bt);
    return result;
}
/* ---- end garble s7 ---- */

/* ---- boilerplate s7 ---- */

/* cp_spread[b]: bit j of the byte b moved to the lowest bit of byte j of a uint64 -- eight 8-bit
 * counters, so one addition per byte of a character's class bits counts all eight classes */
static uint64_t cp_spread[256];
static int cp_spread_ready = 0;

static void cp_spread_init(void) {
    for (unsigned b = 0; b < 256; b++) {
        uint64_t v = 0;
        for (unsigned j = 0; j < 8; j++) v |= (uint64_t)((b >> j) & 1u) << (8 * j);
        cp_spread[b] = v;
    }
    cp_spread_ready = 1;
}

/* what the per-kind loop of char_pass reads and writes */
typedef struct {
    const uint16_t *table, *sum_bits, *lower;
    Py_ssize_t nb, ncol, n_lines, tok_cap;
    int bitpos[16];     /* the class bit each sum_bits entry counts; packed counters only when all are one bit */
    int packed;
    int64_t *starts, *ends, *tok_line, *tok_len;
    double *sums;
    uint16_t *first_bits, *last_bits;
    uint32_t *last_cp;
    void *mbuf, *lbuf, *mlbuf; /* masked page; lower-cased page and masked page (NULL: not asked) */
    int low_ok;                /* every character has a one-character lower case the table or Python gives */
    Py_ssize_t ntok;
} CharPassState;

/* One loop per text kind T (Py_UCS1/2/4), the characters read directly.  Per character: its class
 * bits (the table), the per-line class counts (packed: two additions of cp_spread, flushed every
 * 255 characters and at each line end; otherwise one test per class), the cue counts, the first and
 * last non-space character, the word runs, the masked page and, with a lower-case table, the
 * lower-cased page and masked page.  The same counts, in the same places, as the numpy path. */
#define CHAR_PASS_LOOP(NAME, T, TMAX, PACKED)                                                               \
    static int NAME(CharPassState *st, const T *t, Py_ssize_t len) {                                      \
        const uint16_t WORD = 1, UPPER = 4, DIGIT = 16, SPACE = 64, DSEP = 4096, ELL = 8192, AT = 16384;    \
        const uint16_t *const table = st->table, *const lower = st->lower, *const sum_bits = st->sum_bits;  \
        const int packed = (PACKED); /* (s8c) a constant: one loop with packed counters, one without */ \
        const Py_ssize_t nbc = st->nb, ncol = st->ncol, n_lines = st->n_lines, tok_cap = st->tok_cap;      \
        double *const sums = st->sums;                                                                    \
        int64_t *const starts = st->starts, *const ends = st->ends;                                       \
        int64_t *const tok_line = st->tok_line, *const tok_len = st->tok_len;                             \
        uint16_t fb = 0, lb = 0;                                                                          \
        uint32_t lcp = 0;                                                                                 \
        T *m = (T *)st->mbuf, *lo = (T *)st->lbuf, *ml = (T *)st->mlbuf;                                  \
        int low_ok = st->low_ok && lo != NULL && ml != NULL;                                              \
        int64_t tot[16], cnt[16];                                                                         \
        uint64_t acc_lo = 0, acc_hi = 0;                                                                  \
        int since = 0;                                                                                    \
        int64_t at = 0, date = 0, ell = 0, runs = 0, title = 0;                                           \
        Py_ssize_t line = 0, ntok = 0, run_start = -1, line_start = 0;                                    \
        int have = 0, prev_word = 0;                                                                      \
        memset(tot, 0, sizeof tot);                                                                       \
        memset(cnt, 0, sizeof cnt);                                                                       \
        for (Py_ssize_t i = 0; i <= len; i++) {                                                           \
            /* (s8c) the character at i read here, the next two only at a cue's first character (no  \
             * rolling look-ahead: four fewer live values in the loop) */                                \
            Py_UCS4 c0 = i < len ? (Py_UCS4)t[i] : (Py_UCS4)'\n';                                         \
            if (c0 == '\n') {                                                                             \
                if (line >= n_lines) {                                                                \
                    PyErr_SetString(PyExc_ValueError, "more lines than n_lines");                         \
                    return -1;                                                                            \
                }                                                                                         \
                starts[line] = line_start;                                                            \
                ends[line] = i;                                                                       \
                line_start = i + 1;                                                                       \
                double *row = sums + line * ncol;                                                 \
                if (packed) {                                                                         \
                    for (int j = 0; j < 8; j++) {                                                         \
                        tot[j] += (int64_t)((acc_lo >> (8 * j)) & 0xFF);                                  \
                        tot[8 + j] += (int64_t)((acc_hi >> (8 * j)) & 0xFF);                              \
                    }                                                                                     \
                    acc_lo = acc_hi = 0;                                                                  \
                    since = 0;                                                                            \
                    for (Py_ssize_t k = 0; k < nbc; k++) row[k] = (double)tot[st->bitpos[k]];          \
                    memset(tot, 0, sizeof tot);                                                           \
                } else {                                                                                  \
                    for (Py_ssize_t k = 0; k < nbc; k++) row[k] = (double)cnt[k];                      \
                    memset(cnt, 0, sizeof cnt);                                                           \
                }                                                                                         \
                Py_ssize_t nb = nbc;                                                                   \
                row[nb] = (double)at;                                                                     \
                row[nb + 1] = (double)date;                                                               \
                row[nb + 2] = (double)ell;                                                                \
                row[nb + 3] = (double)runs;                                                               \
                row[nb + 4] = (double)title;                                                              \
                at = date = ell = runs = title = 0;                                                       \
                if (have) { /* the first and last non-space character (zero on a blank line) */            \
                    st->first_bits[line] = fb;                                                            \
                    st->last_bits[line] = lb;                                                             \
                    st->last_cp[line] = lcp;                                                              \
                }                                                                                         \
                have = 0;                                                                                 \
                if (run_start >= 0) { /* a word run ends at the newline */                                \
                    tok_len[ntok - 1] = i - run_start;                                                \
                    run_start = -1;                                                                       \
                }                                                                                         \
                prev_word = 0;                                                                            \
                if (i < len) {                                                                            \
                    if (line + 1 >= n_lines) { /* before the next line's first write */               \
                        PyErr_SetString(PyExc_ValueError, "more lines than n_lines");                     \
                        return -1;                                                                        \
                    }                                                                                     \
                    m[i] = ' ';                                                                           \
                    if (low_ok) {                                                                         \
                        lo[i] = '\n';                                                                     \
                        ml[i] = ' ';                                                                      \
                    }                                                                                     \
                    line++;                                                                               \
                }                                                                                         \
                continue;                                                                                 \
            }                                                                                             \
            uint16_t b0 = table[c0 < 0x10000 ? c0 : 0x10000];                                            \
            if (packed) {                                                                             \
                acc_lo += cp_spread[b0 & 0xFF];                                                           \
                acc_hi += cp_spread[b0 >> 8];                                                             \
                if (++since == 255) { /* before an 8-bit counter could wrap */                           \
                    for (int j = 0; j < 8; j++) {                                                         \
                        tot[j] += (int64_t)((acc_lo >> (8 * j)) & 0xFF);                                  \
                        tot[8 + j] += (int64_t)((acc_hi >> (8 * j)) & 0xFF);                              \
                    }                                                                                     \
                    acc_lo = acc_hi = 0;                                                                  \
                    since = 0;                                                                            \
                }                                                                                         \
            } else {                                                                                      \
                for (Py_ssize_t k = 0; k < nbc; k++) cnt[k] += (b0 & sum_bits[k]) != 0;            \
            }                                                                                             \
            int w = (b0 & WORD) != 0;                                                                     \
            if ((b0 & (AT | DIGIT | ELL)) || c0 == '.') { /* the cues start only at these characters */  \
                /* c1/b1 the character at i+1, c2/b2 at i+2 (0 past the end) */                          \
                Py_UCS4 c1 = i + 1 < len ? (Py_UCS4)t[i + 1] : 0;                                         \
                uint16_t b1 = i + 1 < len ? table[c1 < 0x10000 ? c1 : 0x10000] : 0;                       \
                Py_UCS4 c2 = i + 2 < len ? (Py_UCS4)t[i + 2] : 0;                                         \
                uint16_t b2 = i + 2 < len ? table[c2 < 0x10000 ? c2 : 0x10000] : 0;                       \
                int w1 = i + 1 < len && (b1 & WORD) != 0;                                                 \
                at += (b0 & AT) && w1;                                                                    \
                if (i + 2 < len) {                                                                        \
                    date += (b0 & DIGIT) && (b1 & DSEP) && (b2 & DIGIT);                                  \
                    ell += (b0 & ELL) || (c0 == '.' && c1 == '.' && c2 == '.');                           \
                } else {                                                                                  \
                    ell += (b0 & ELL) != 0;                                                               \
                }                                                                                         \
            }                                                                                             \
            if (!(b0 & SPACE)) {                                                                          \
                if (!have) fb = b0;                                                                       \
                have = 1;                                                                                 \
                lb = b0;                                                                                  \
                lcp = (uint32_t)c0;                                                                       \
            }                                                                                             \
            if (low_ok) {                                                                                 \
                Py_UCS4 lc;                                                                               \
                if (c0 < 0x10000) {                                                                       \
                    lc = lower[c0];                                                                   \
                } else { /* above the BMP, str.lower() is the simple mapping: keep the uncased only */    \
                    lc = Py_UNICODE_TOLOWER(c0) == c0 ? c0 : 0xFFFF;                                      \
                }                                                                                         \
                if (lc == 0xFFFF || lc > (Py_UCS4)(TMAX)) {                                               \
                    low_ok = 0; /* the caller lower-cases in Python */                                    \
                } else {                                                                                  \
                    lo[i] = (T)lc;                                                                        \
                    ml[i] = w ? (T)lc : (T)' ';                                                           \
                }                                                                                         \
            }                                                                                             \
            if (w) {                                                                                      \
                m[i] = (T)c0;                                                                             \
                if (!prev_word) {                                                                         \
                    if (ntok >= tok_cap) {                                                            \
                        PyErr_SetString(PyExc_ValueError, "token capacity too small");                    \
                        return -1;                                                                        \
                    }                                                                                     \
                    tok_line[ntok++] = line;                                                          \
                    run_start = i;                                                                        \
                    runs++;                                                                               \
                    title += (b0 & UPPER) != 0;                                                           \
                }                                                                                         \
            } else {                                                                                      \
                m[i] = ' ';                                                                               \
                if (run_start >= 0) {                                                                     \
                    tok_len[ntok - 1] = i - run_start;                                                \
                    run_start = -1;                                                                       \
                }                                                                                         \
            }                                                                                             \
            prev_word = w;                                                                                \
        }                                                                                                 \
        if (line + 1 != n_lines) {                                                                    \
            PyErr_SetString(PyExc_ValueError, "fewer lines than n_lines");                                \
            return -1;                                                                                    \
        }                                                                                                 \
        st->ntok = ntok;                                                                                  \
        st->low_ok = low_ok;                                                                              \
        return 0;                                                                                         \
    }
CHAR_PASS_LOOP(char_pass_1, Py_UCS1, 0xFF, 1)
CHAR_PASS_LOOP(char_pass_2, Py_UCS2, 0xFFFF, 1)
CHAR_PASS_LOOP(char_pass_4, Py_UCS4, 0x10FFFF, 1)
CHAR_PASS_LOOP(char_pass_1u, Py_UCS1, 0xFF, 0)
CHAR_PASS_LOOP(char_pass_2u, Py_UCS2, 0xFFFF, 0)
CHAR_PASS_LOOP(char_pass_4u, Py_UCS4, 0x10FFFF, 0)

/* char_pass(page, table, sum_bits, n_lines, starts, ends, sums, first_bits, last_bits, last_cp, tok_line, tok_len,
 *           lower) -> (n_tokens, masked, low, masked_low)
 *
 * page: the joined page ("\n" between lines, no other line breaks inside lines, n_lines lines).
 * table: uint16 class bits per code point (0x10001 entries; the last for anything above the BMP).
 * sum_bits: uint16 class bits counted per line, in the column order of `sums` (at most 16).
 * starts / ends (int64): each line's [start, end) offsets in the page (its newline is in neither).
 * sums: float64 (n_lines, len(sum_bits) + 5), row-major: the classes, then @ before a word
 *   character, digit-separator-digit triples, ellipses (a cue char or "..."), non-CJK word runs,
 *   word runs starting with an upper-case letter.  All counts, per line, of the character (or
 *   run) *starting* in the line, as the numpy path bins them.
 * first_bits / last_bits (uint16), last_cp (uint32): the first and last non-space character of
 *   each line (0 for a blank line).
 * tok_line / tok_len (int64, capacity >= the number of word runs): each non-CJK word run's line
 *   and length in code points.
 * lower: None, or uint16 (0x10000 entries): each BMP code point's lower case when str.lower() gives
 *   one BMP character for it whatever surrounds it, else 0xFFFF (U+0130, capital sigma, ...).
 * masked: the page with every non-word character replaced by a space (the token strings).
 * low / masked_low: page.lower() and masked.lower(), built in the same pass; None without `lower`
 *   or when a character of the page is one the table (or, above the BMP, a cased one) refers to Python.
 */
static PyObject *char_pass(PyObject *self, PyObject *args) {
    PyObject *page, *o_table, *o_bits, *o_st, *o_en, *o_sums, *o_fb, *o_lb, *o_lc, *o_tl, *o_tn, *o_lower;
    Py_ssize_t n_lines;
    if (!PyArg_ParseTuple(args, "UOOnOOOOOOOOO", &page, &o_table, &o_bits, &n_lines, &o_st, &o_en, &o_sums, &o_fb,
                          &o_lb, &o_lc, &o_tl, &o_tn, &o_lower))
        return NULL;
    Py_buffer b_table = {0}, b_bits = {0}, b_st = {0}, b_en = {0}, b_sums = {0}, b_fb = {0}, b_lb = {0}, b_lc = {0},
              b_tl = {0}, b_tn = {0}, b_lower = {0}; /* obj NULL: releasing is a no-op */
    PyObject *result = NULL, *masked = NULL, *low = NULL, *masked_low = NULL;
    CharPassState st;
    memset(&st, 0, sizeof st);
    Py_ssize_t len = PyUnicode_GET_LENGTH(page);
    int kind = PyUnicode_KIND(page);
    if (!cp_spread_ready) cp_spread_init();
    if (get_buf(o_table, &b_table, 2, 0x10001, 0, "table") < 0) goto done;
    if (get_buf(o_bits, &b_bits, 2, 1, 0, "sum_bits") < 0) goto done;
    st.nb = b_bits.len / 2;
    st.ncol = st.nb + 5;
    if (st.nb > 16) {
        PyErr_SetString(PyExc_ValueError, "at most 16 classes");
        goto done;
    }
    if (n_lines < 0 || size_mul(n_lines, st.ncol) < 0) {
        PyErr_SetString(PyExc_ValueError, "bad n_lines");
        goto done;
    }
    st.n_lines = n_lines;
    if (get_buf(o_sums, &b_sums, 8, size_mul(n_lines, st.ncol), 1, "sums") < 0) goto done;
    if (get_buf(o_fb, &b_fb, 2, n_lines, 1, "first_bits") < 0) goto done;
    if (get_buf(o_lb, &b_lb, 2, n_lines, 1, "last_bits") < 0) goto done;
    if (get_buf(o_lc, &b_lc, 4, n_lines, 1, "last_cp") < 0) goto done;
    if (get_buf(o_tl, &b_tl, 8, 0, 1, "tok_line") < 0) goto done;
    if (get_buf(o_tn, &b_tn, 8, 0, 1, "tok_len") < 0) goto done;
    if (get_buf(o_st, &b_st, 8, n_lines, 1, "starts") < 0) goto done;
    if (get_buf(o_en, &b_en, 8, n_lines, 1, "ends") < 0) goto done;
    if (o_lower != Py_None && get_buf(o_lower, &b_lower, 2, 0x10000, 0, "lower") < 0) goto done;
    st.table = (const uint16_t *)b_table.buf;
    st.sum_bits = (const uint16_t *)b_bits.buf;
    st.lower = o_lower != Py_None ? (const uint16_t *)b_lower.buf : NULL;
    st.packed = 1;
    for (Py_ssize_t k = 0; k < st.nb; k++) {
        uint16_t v = st.sum_bits[k];
        if (v == 0 || (v & (v - 1)) != 0) { /* not a single bit: one test per class */
            st.packed = 0;
            st.bitpos[k] = 0;
            continue;
        }
        int p = 0;
        while (!((v >> p) & 1u)) p++;
        st.bitpos[k] = p;
    }
    st.starts = (int64_t *)b_st.buf;
    st.ends = (int64_t *)b_en.buf;
    st.sums = (double *)b_sums.buf;
    st.first_bits = (uint16_t *)b_fb.buf;
    st.last_bits = (uint16_t *)b_lb.buf;
    st.last_cp = (uint32_t *)b_lc.buf;
    st.tok_line = (int64_t *)b_tl.buf;
    st.tok_len = (int64_t *)b_tn.buf;
    st.tok_cap = b_tl.len / 8 < b_tn.len / 8 ? b_tl.len / 8 : b_tn.len / 8;
    memset(st.first_bits, 0, (size_t)n_lines * 2);
    memset(st.last_bits, 0, (size_t)n_lines * 2);
    memset(st.last_cp, 0, (size_t)n_lines * 4);
    {
        size_t bytes = (size_t)(len ? len : 1) * (size_t)kind;
        st.mbuf = PyMem_Malloc(bytes);
        if (!st.mbuf) {
            PyErr_NoMemory();
            goto done;
        }
        if (st.lower) {
            st.lbuf = PyMem_Malloc(bytes);
            st.mlbuf = PyMem_Malloc(bytes);
            if (!st.lbuf || !st.mlbuf) {
                PyErr_NoMemory();
                goto done;
            }
            st.low_ok = 1;
        }
    }
    {
        const void *data = PyUnicode_DATA(page);
        int rc = st.packed ? (kind == PyUnicode_1BYTE_KIND   ? char_pass_1(&st, (const Py_UCS1 *)data, len)
                              : kind == PyUnicode_2BYTE_KIND ? char_pass_2(&st, (const Py_UCS2 *)data, len)
                                                             : char_pass_4(&st, (const Py_UCS4 *)data, len))
                           : (kind == PyUnicode_1BYTE_KIND   ? char_pass_1u(&st, (const Py_UCS1 *)data, len)
                              : kind == PyUnicode_2BYTE_KIND ? char_pass_2u(&st, (const Py_UCS2 *)data, len)
                                                             : char_pass_4u(&st, (const Py_UCS4 *)data, len));
        if (rc < 0) goto done;
    }
    masked = PyUnicode_FromKindAndData(kind, st.mbuf, len);
    if (!masked) goto done;
    if (st.lower && st.low_ok) {
        low = PyUnicode_FromKindAndData(kind, st.lbuf, len);
        if (!low) goto done;
        masked_low = PyUnicode_FromKindAndData(kind, st.mlbuf, len);
        if (!masked_low) goto done;
    } else {
        low = Py_NewRef(Py_None);
        masked_low = Py_NewRef(Py_None);
    }
    result = Py_BuildValue("nNNN", st.ntok, masked, low, masked_low); /* steals the three references */
    masked = low = masked_low = NULL;
done:
    Py_XDECREF(masked);
    Py_XDECREF(low);
    Py_XDECREF(masked_low);
    if (st.mbuf) PyMem_Free(st.mbuf);
    if (st.lbuf) PyMem_Free(st.lbuf);
    if (st.mlbuf) PyMem_Free(st.mlbuf);
    PyBuffer_Release(&b_lower);
    PyBuffer_Release(&b_en);
    PyBuffer_Release(&b_st);
    PyBuffer_Release(&b_tn);
    PyBuffer_Release(&b_tl);
    PyBuffer_Release(&b_lc);
    PyBuffer_Release(&b_lb);
    PyBuffer_Release(&b_fb);
    PyBuffer_Release(&b_sums);
    PyBuffer_Release(&b_bits);
    PyBuffer_Release(&b_table);
    return result;
}

#ifdef CLEANER_AVX2_DISPATCH
/* add_tree with AVX-512F (forest_raw, s7), used when the CPU has it: eight rows per register, each
 * level's comparison a mask (_CMP_GT_OQ: false on NaN, as C's >) merged into the rows' leaf indices,
 * the eight leaves gathered and added to the eight sums at once.  Every row's sum takes the same
 * leaves in the same order as add_tree (one IEEE addition per tree per row), so the same bits. */
__attribute__((target("avx512f"))) static void add_tree_avx512(double *restrict acc, const double *const *xs,
                                                                const double *th, Py_ssize_t depth,
                                                                const double *leaf, Py_ssize_t j0, Py_ssize_t m) {
    Py_ssize_t j = 0;
    const __m512i one = _mm512_set1_epi64(1);
    for (; j + 16 <= m; j += 16) {
        __m512i v = _mm512_setzero_si512(), w = _mm512_setzero_si512();
        for (Py_ssize_t lev = 0; lev < depth; lev++) {
            __m512d t = _mm512_set1_pd(th[lev]);
            __mmask8 c = _mm512_cmp_pd_mask(_mm512_loadu_pd(xs[lev] + j0 + j), t, _CMP_GT_OQ);
            __mmask8 d = _mm512_cmp_pd_mask(_mm512_loadu_pd(xs[lev] + j0 + j + 8), t, _CMP_GT_OQ);
            v = _mm512_slli_epi64(v, 1);
            w = _mm512_slli_epi64(w, 1);
            v = _mm512_mask_or_epi64(v, c, v, one);
            w = _mm512_mask_or_epi64(w, d, w, one);
        }
        __m512d a = _mm512_add_pd(_mm512_loadu_pd(acc + j), _mm512_i64gather_pd(v, leaf, 8));
        __m512d b = _mm512_add_pd(_mm512_loadu_pd(acc + j + 8), _mm512_i64gather_pd(w, leaf, 8));
        _mm512_storeu_pd(acc + j, a);
        _mm512_storeu_pd(acc + j + 8, b);
    }
    /* (s8a) the last 1-15 rows eight at a time, the rows past m masked off (masked loads and stores
     * touch no memory there): the same comparisons and one addition per row, as the loop above */
    for (; j < m; j += 8) {
        __mmask8 live = m - j >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (m - j)) - 1u);
        __m512i v = _mm512_setzero_si512();
        for (Py_ssize_t lev = 0; lev < depth; lev++) {
            __mmask8 c = _mm512_mask_cmp_pd_mask(live, _mm512_maskz_loadu_pd(live, xs[lev] + j0 + j),
                                                 _mm512_set1_pd(th[lev]), _CMP_GT_OQ);
            v = _mm512_slli_epi64(v, 1);
            v = _mm512_mask_or_epi64(v, c, v, one);
        }
        __m512d g = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), live, v, leaf, 8);
        _mm512_mask_storeu_pd(acc + j, live, _mm512_add_pd(_mm512_maskz_loadu_pd(live, acc + j), g));
    }
}
#endif

typedef struct {
    const uint16_t *flags;
    const uint8_t *first, *second, *width;
    const uint64_t *req, *col_req;
    const int32_t *col_multi, *mcount;
    Py_ssize_t ncol, nb, cap;
} LexTables;

/* the index of the lowest set bit of x (x != 0) */
static int lex_ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(x);
#else
    int n = 0;
    while (!(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/* whether column j holds for the line (its required and counted sets) */
static int lex_col_ok(const LexTables *lt, Py_ssize_t j, uint64_t present, const int32_t *counts) {
    if (j >= lt->ncol) return 0;
    if ((present & lt->col_req[j]) != lt->col_req[j]) return 0;
    return lt->col_multi[j] < 0 || counts[lt->col_multi[j]] >= lt->mcount[j];
}

/* whether a column of the line holds (see lexicon_lines).  s8b: eight bytes of column bits at a time
 * (most words of a line's candidate bits are zero), the set bits of the others found by their lowest
 * bit; the byte loop for the rest.  The same columns, in a different order (any one decides). */
static int lex_line_hit(const LexTables *lt, Py_ssize_t c0, Py_ssize_t n0, Py_ssize_t c1, Py_ssize_t n1, Py_ssize_t core,
                        uint64_t present, const int32_t *counts) {
    static const union {
        uint16_t u;
        uint8_t c[2];
    } endian = {1};
    Py_ssize_t nb = lt->nb, b = 0;
    const uint8_t *f0 = lt->first + c0 * nb, *s0 = lt->second + n0 * nb, *f1 = lt->first + c1 * nb,
                  *s1 = lt->second + n1 * nb, *wr = lt->width + core * nb;
    for (; b + 8 <= nb; b += 8) {
        uint64_t a0, a1, a2, a3, w;
        memcpy(&a0, f0 + b, 8);
        memcpy(&a1, s0 + b, 8);
        memcpy(&a2, f1 + b, 8);
        memcpy(&a3, s1 + b, 8);
        memcpy(&w, wr + b, 8);
        uint64_t m = ((a0 & a1) | (a2 & a3)) & w;
        while (m) {
            int p = lex_ctz64(m);
            m &= m - 1;
            Py_ssize_t byte = b + (endian.c[0] ? p / 8 : 7 - p / 8); /* the word's byte that bit is in */
            if (lex_col_ok(lt, byte * 8 + (7 - p % 8), present, counts)) return 1;
        }
    }
    for (; b < nb; b++) {
        unsigned m = (unsigned)(((f0[b] & s0[b]) | (f1[b] & s1[b])) & wr[b]);
        for (int bit = 0; bit < 8; bit++)
            if (((m >> bit) & 1u) && lex_col_ok(lt, b * 8 + (7 - bit), present, counts)) return 1;
    }
    return 0;
}

/* lex_spread[g]: the 12 bits of g (a character's counted sets) spread to 12 fields of 5 bits, so that
 * one addition per character counts all of them; a line's characters are added in chunks of at most 31
 * (no field overflows) and each chunk's sums are moved to the int32 counts (s8b; the unrolled bit loop
 * it replaces was half of the kernel's instructions: most letters are in some counted set) */
static uint64_t lex_spread[4096];
static int lex_spread_ready = 0;

static void lex_spread_init(void) {
    if (lex_spread_ready) return;
    for (unsigned g = 0; g < 4096; g++) {
        uint64_t v = 0;
        for (int q = 0; q < 12; q++) v |= (uint64_t)((g >> q) & 1u) << (5 * q);
        lex_spread[g] = v;
    }
    lex_spread_ready = 1;
}

#define LEX_FOLD(acc, counts)                                                                             \
    for (int q = 0; q < 12; q++) (counts)[q] += (int32_t)(((acc) >> (5 * q)) & 31u)

/* One pass per text kind: per line, the characters' required sets and counted sets, p0 and p1 (the
 * leading spaces; bullets; spaces), the non-spaces from p1 up to the last character _POST cannot take,
 * then the column test.  Characters past the text's end read as newlines.  (s8b: the line's end is
 * found first, and the characters before p1 -- which only add required and counted sets -- are a loop
 * of their own, so the loop over the rest tests neither the newline nor p1 and keeps the non-space
 * count without a branch; with lex_spread, the same sums for 57.6 -> 35.8 M instructions per MB of dev text.) */
#define LEX_LINES(NAME, T)                                                                                \
    static int NAME(const LexTables *lt, const T *t, Py_ssize_t len, i64vec *out) {                      \
        const uint16_t *flags = lt->flags;                                                                \
        const uint64_t *req = lt->req;                                                                    \
        Py_ssize_t line = 0, start = 0;                                                                   \
        while (start <= len) {                                                                            \
            Py_ssize_t end = start;                                                                       \
            while (end < len && t[end] != '\n') end++;                                                    \
            Py_ssize_t i = start;                                                                         \
            /* the lead: spaces (p0), bullets, spaces (p1) */                                            \
            while (i < end && (flags[t[i] < 0x10000 ? t[i] : 0x10000] & 1)) i++;                          \
            Py_ssize_t p0 = i;                                                                            \
            while (i < end && (flags[t[i] < 0x10000 ? t[i] : 0x10000] & 2)) i++;                          \
            while (i < end && (flags[t[i] < 0x10000 ? t[i] : 0x10000] & 1)) i++;                          \
            Py_ssize_t p1 = i;                                                                            \
            Py_ssize_t nonh = 0, core = 0;                                                                \
            uint64_t present = 0;                                                                         \
            int32_t counts[12] = {0};                                                                     \
            for (Py_ssize_t k = start; k < p1;) {                                                         \
                Py_ssize_t stop = p1 - k > 31 ? k + 31 : p1;                                              \
                uint64_t acc = 0;                                                                         \
                for (; k < stop; k++) {                                                                   \
                    Py_ssize_t ix = t[k] < 0x10000 ? (Py_ssize_t)t[k] : 0x10000;                          \
                    present |= req[ix];                                                                   \
                    acc += lex_spread[flags[ix] >> 4];                                                    \
                }                                                                                         \
                LEX_FOLD(acc, counts);                                                                    \
            }                                                                                             \
            for (Py_ssize_t k = p1; k < end;) {                                                           \
                Py_ssize_t stop = end - k > 31 ? k + 31 : end;                                            \
                uint64_t acc = 0;                                                                         \
                for (; k < stop; k++) {                                                                   \
                    Py_ssize_t ix = t[k] < 0x10000 ? (Py_ssize_t)t[k] : 0x10000;                          \
                    unsigned f = flags[ix];                                                               \
                    present |= req[ix];                                                                   \
                    acc += lex_spread[f >> 4];                                                            \
                    nonh += !(f & 8);                                                                     \
                    core = (f & 4) ? core : nonh; /* the count at the last character _POST cannot take */ \
                }                                                                                         \
                LEX_FOLD(acc, counts);                                                                    \
            }                                                                                             \
            if (core > lt->cap) core = lt->cap;                                                           \
            Py_UCS4 a0 = p0 < len ? (Py_UCS4)t[p0] : '\n', b0 = p0 + 1 < len ? (Py_UCS4)t[p0 + 1] : '\n';   \
            Py_UCS4 a1 = p1 < len ? (Py_UCS4)t[p1] : '\n', b1 = p1 + 1 < len ? (Py_UCS4)t[p1 + 1] : '\n';   \
            if (lex_line_hit(lt, a0 < 0x10000 ? a0 : 0x10000, b0 < 0x10000 ? b0 : 0x10000,                 \
                             a1 < 0x10000 ? a1 : 0x10000, b1 < 0x10000 ? b1 : 0x10000, core, present, counts)) { \
                if (i64vec_reserve(out, 1) < 0) return -1;                                                \
                out->v[out->len++] = line;                                                                \
            }                                                                                             \
            line++;                                                                                       \
            start = end + 1;                                                                              \
        }                                                                                                 \
        return 0;                                                                                         \
    }
LEX_LINES(lex_lines_1, Py_UCS1)
LEX_LINES(lex_lines_2, Py_UCS2)
LEX_LINES(lex_lines_4, Py_UCS4)

/* lexicon_lines(text, flags, first, second, width, req_bits, col_req, col_multi, multi_count) -> int64 bytes
 *
 * The lines (split at "\n") that a whole-line rule of rules._LEXICON_FAST can match, by the necessary
 * conditions rules._line_filter reads off its alternatives (filter "columns"; nb bytes of column bits
 * per table row, numpy's packbits order: column j is bit 7 - j % 8 of byte j / 8):
 *   flags (uint16, 0x10001 entries, the last for anything above the BMP): bit 0 a space _PRE skips,
 *     bit 1 a bullet _PRE skips, bit 2 a character _POST (or "\r") can take, bit 3 a rule space (\h),
 *     bits 4.. membership of the counted sets (at most 12);
 *   first / second (uint8, 0x10001 x nb): the columns a match can start with that character / whose
 *     second character it can be;
 *   width (uint8, (cap + 1) x nb): the columns that can consume that many non-spaces (row cap: more);
 *   req_bits (uint64, 0x10001): which required sets (one character of it) each code point is in;
 *   col_req (uint64 per column): the sets a column needs one character of (all of them; 0: none);
 *   col_multi (int32 per column): the counted set a column needs (-1: none), multi_count (int32 per
 *     column) how many of its characters.
 * A column holds for a line when, at one of the two places _PRE can leave the match (after the leading
 * spaces; after the leading bullets and spaces), it can start with the character there and continue
 * with the next, the non-spaces between there and the last character _POST cannot take are no more
 * than it can consume, and the line holds the characters it must.  Returns the line indices as int64
 * (native byte order) in a bytes object.
 */
static PyObject *lexicon_lines(PyObject *self, PyObject *args) {
    PyObject *text, *o_flags, *o_first, *o_second, *o_width, *o_req, *o_colreq, *o_colm, *o_mcount;
    if (!PyArg_ParseTuple(args, "UOOOOOOOO", &text, &o_flags, &o_first, &o_second, &o_width, &o_req, &o_colreq,
                          &o_colm, &o_mcount))
        return NULL;
    Py_buffer bf = {0}, b1 = {0}, b2 = {0}, bw = {0}, br = {0}, bc = {0}, bm = {0}, bn = {0};
    PyObject *result = NULL;
    i64vec out = {0};
    if (get_buf(o_colreq, &bc, 8, 1, 0, "col_req") < 0) goto done;
    Py_ssize_t ncol = bc.len / 8, nb = (ncol + 7) / 8;
    if (get_buf(o_colm, &bm, 4, ncol, 0, "col_multi") < 0) goto done;
    if (get_buf(o_mcount, &bn, 4, ncol, 0, "multi_count") < 0) goto done;
    if (get_buf(o_flags, &bf, 2, 0x10001, 0, "flags") < 0) goto done;
    if (get_buf(o_first, &b1, 1, size_mul(0x10001, nb), 0, "first") < 0) goto done;
    if (get_buf(o_second, &b2, 1, size_mul(0x10001, nb), 0, "second") < 0) goto done;
    if (get_buf(o_width, &bw, 1, nb, 0, "width") < 0) goto done;
    if (get_buf(o_req, &br, 8, 0x10001, 0, "req_bits") < 0) goto done;
    {
        const uint16_t *flags = bf.buf;
        const uint8_t *first = b1.buf, *second = b2.buf, *width = bw.buf;
        const uint64_t *req = br.buf, *col_req = bc.buf;
        const int32_t *col_multi = bm.buf, *mcount = bn.buf;
        Py_ssize_t cap = bw.len / nb - 1;
        for (Py_ssize_t j = 0; j < ncol; j++) {
            if (col_multi[j] < -1 || col_multi[j] >= 12) {
                PyErr_SetString(PyExc_ValueError, "col_multi: a counted set out of range");
                goto done;
            }
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(text);
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        LexTables lt = {flags, first, second, width, req, col_req, col_multi, mcount, ncol, nb, cap};
        lex_spread_init();
        int rc = kind == PyUnicode_1BYTE_KIND   ? lex_lines_1(&lt, (const Py_UCS1 *)data, len, &out)
                 : kind == PyUnicode_2BYTE_KIND ? lex_lines_2(&lt, (const Py_UCS2 *)data, len, &out)
                                                : lex_lines_4(&lt, (const Py_UCS4 *)data, len, &out);
        if (rc < 0) goto done;
        result = PyBytes_FromStringAndSize((const char *)out.v, (Py_ssize_t)(out.len * (Py_ssize_t)sizeof(int64_t)));
    }
done:
    PyMem_Free(out.v);
    PyBuffer_Release(&bn);
    PyBuffer_Release(&bm);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&br);
    PyBuffer_Release(&bw);
    PyBuffer_Release(&b2);
    PyBuffer_Release(&b1);
    PyBuffer_Release(&bf);
    return result;
}

/* ---- end boilerplate s7 ---- */

/* ---- garble s7b ---- */
/* The English sentence model's glue around its three BLAS products (cleaner/garble/model.py
 * batch_logits, nn.ConvNet._forward_native): ~20 small numpy operations per batch fused into four
 * calls.  Every float operation is the one numpy performs, in the same order (float64 sums in array
 * order as np.bincount does; float32 element-wise arithmetic), so the logits are the same bits. */

/* lin_prep(owner, ids, w_sparse, dense, mean, std, n, s, z)
 *
 * s (float64, n) = np.bincount(owner, weights=w_sparse[ids], minlength=n) / np.sqrt(np.maximum(
 * np.bincount(owner, minlength=n), 1)): each sentence's weights summed in float64 in array order;
 * z (float32, dense's shape (rows, k) with k = len(mean) = len(std)) = (dense - mean) / std.
 * owner, ids: int64 of one length, owner in [0, n), ids in [0, len(w_sparse)). */
static PyObject *lin_prep(PyObject *self, PyObject *args) {
    PyObject *o_own, *o_ids, *o_w, *o_d, *o_mu, *o_sd, *o_s, *o_z;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOnOO", &o_own, &o_ids, &o_w, &o_d, &o_mu, &o_sd, &n, &o_s, &o_z)) return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n must be >= 0");
        return NULL;
    }
    Py_buffer bo = {0}, bi = {0}, bw = {0}, bd = {0}, bm = {0}, bsd = {0}, bs = {0}, bz = {0};
    PyObject *result = NULL;
    int64_t *cnt = NULL;
    if (get_buf(o_own, &bo, 8, 0, 0, "owner") < 0) goto done;
    if (get_buf(o_ids, &bi, 8, bo.len / 8, 0, "ids") < 0) goto done;
    if (get_buf(o_w, &bw, 4, 0, 0, "w_sparse") < 0) goto done;
    if (get_buf(o_mu, &bm, 4, 1, 0, "mean") < 0) goto done;
    if (get_buf(o_sd, &bsd, 4, bm.len / 4, 0, "std") < 0) goto done;
    if (get_buf(o_d, &bd, 4, 0, 0, "dense") < 0) goto done;
    if (get_buf(o_s, &bs, 8, n, 1, "s") < 0) goto done;
    if (get_buf(o_z, &bz, 4, bd.len / 4, 1, "z") < 0) goto done;
    {
        Py_ssize_t m = bo.len / 8, nw = bw.len / 4, k = bm.len / 4, cells = bd.len / 4;
        if (bi.len / 8 != m || bsd.len / 4 != k || cells % k) {
            PyErr_SetString(PyExc_ValueError, "owner/ids or mean/std differ in length, or dense is not (rows, k)");
            goto done;
        }
        const int64_t *own = bo.buf, *ids = bi.buf;
        const float *w = bw.buf, *dense = bd.buf, *mu = bm.buf, *sd = bsd.buf;
        double *s = bs.buf;
        float *z = bz.buf;
        cnt = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int64_t));
        if (!cnt) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t r = 0; r < n; r++) s[r] = 0.0;
        for (Py_ssize_t i = 0; i < m; i++) {
            int64_t o = own[i], b = ids[i];
            if (i + 24 < m && (uint64_t)ids[i + 24] < (uint64_t)nw) /* (s8) the gather misses the cache: ask early */
                CL_PREFETCH(w + ids[i + 24]);
            if (o < 0 || o >= n || b < 0 || b >= nw) {
                PyErr_SetString(PyExc_IndexError, "an owner or a bucket is out of range");
                goto done;
            }
            s[o] += (double)w[b];
            cnt[o]++;
        }
        for (Py_ssize_t r = 0; r < n; r++) s[r] = s[r] / sqrt((double)(cnt[r] > 1 ? cnt[r] : 1));
        for (Py_ssize_t i = 0; i < cells; i++) z[i] = (dense[i] - mu[i % k]) / sd[i % k];
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyMem_Free(cnt);
    PyBuffer_Release(&bz);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&bsd);
    PyBuffer_Release(&bm);
    PyBuffer_Release(&bw);
    PyBuffer_Release(&bi);
    PyBuffer_Release(&bo);
    return result;
}

/* np.maximum(v, 0.0) of a float32 (NaN propagates), except at v = -0.0: numpy gives +0.0, this -0.0.
 * The callers refuse a bias holding -0.0, the only way v = h + b can be -0.0. */
static inline float relu_np(float v) { return (v >= 0.0f || v != v) ? v : 0.0f; }

/* cnn_relu_window(h, b, c, lengths, out): h (float32, (T, c), T = sum(lengths)) becomes
 * np.maximum(h + b, 0.0) in place (b: float32, c), then out (float32, (T, 3c)) = cnn_window(h). */
static PyObject *cnn_relu_window(PyObject *self, PyObject *args) {
    PyObject *o_h, *o_b, *o_len, *o_out;
    Py_ssize_t c;
    if (!PyArg_ParseTuple(args, "OOnOO", &o_h, &o_b, &c, &o_len, &o_out)) return NULL;
    if (c < 1) {
        PyErr_SetString(PyExc_ValueError, "c must be >= 1");
        return NULL;
    }
    Py_buffer bh = {0}, bb = {0}, bl = {0}, bo = {0};
    PyObject *result = NULL;
    if (get_buf(o_len, &bl, 8, 0, 0, "lengths") < 0) goto done;
    if (get_buf(o_b, &bb, 4, c, 0, "b") < 0) goto done;
    {
        Py_ssize_t n = bl.len / 8, total = 0;
        const int64_t *lengths = bl.buf;
        if (cnn_lengths(lengths, n, PY_SSIZE_T_MAX, &total) < 0) goto done;
        if (get_buf(o_h, &bh, 4, size_mul(total, c), 1, "h") < 0) goto done;
        if (get_buf(o_out, &bo, 4, size_mul(total, size_mul(3, c)), 1, "out") < 0) goto done;
        float *h = bh.buf, *out = bo.buf;
        const float *b = bb.buf;
        for (Py_ssize_t t = 0; t < total; t++)
            for (Py_ssize_t j = 0; j < c; j++) h[t * c + j] = relu_np(h[t * c + j] + b[j]);
        cnn_window_rows(out, h, lengths, n, c);
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bb);
    PyBuffer_Release(&bl);
    return result;
}

/* cnn_relu_pool(h2, b2, h1, c, lengths, init, out) -> None
 *
 * h2 (float32, (T, c)) becomes np.maximum(h2 + b2, 0.0) + h1 in place; out (float32, (n, 2c)) the
 * pooled rows as cnn_pool gives them (the product pooled @ w_out stays numpy's). */
static PyObject *cnn_relu_pool(PyObject *self, PyObject *args) {
    PyObject *o_h, *o_b, *o_h1, *o_len, *o_out;
    Py_ssize_t c;
    float init;
    if (!PyArg_ParseTuple(args, "OOOnOfO", &o_h, &o_b, &o_h1, &c, &o_len, &init, &o_out)) return NULL;
    if (c < 1 || c > CNN_MAXC) {
        PyErr_SetString(PyExc_ValueError, "c must be in [1, 256]");
        return NULL;
    }
    Py_buffer bh = {0}, bb = {0}, b1 = {0}, bl = {0}, bo = {0};
    PyObject *result = NULL;
    if (get_buf(o_len, &bl, 8, 0, 0, "lengths") < 0) goto done;
    if (get_buf(o_b, &bb, 4, c, 0, "b") < 0) goto done;
    {
        Py_ssize_t n = bl.len / 8, total = 0;
        const int64_t *lengths = bl.buf;
        if (cnn_lengths(lengths, n, PY_SSIZE_T_MAX, &total) < 0) goto done;
        if (get_buf(o_h, &bh, 4, size_mul(total, c), 1, "h2") < 0) goto done;
        if (get_buf(o_h1, &b1, 4, size_mul(total, c), 0, "h1") < 0) goto done;
        if (get_buf(o_out, &bo, 4, size_mul(n, 2 * c), 1, "out") < 0) goto done;
        float *h = bh.buf, *out = bo.buf;
        const float *b = bb.buf, *h1 = b1.buf;
        for (Py_ssize_t i = 0; i < total; i++)
            for (Py_ssize_t j = 0; j < c; j++) h[i * c + j] = relu_np(h[i * c + j] + b[j]) + h1[i * c + j];
        cnn_pool_rows(out, h, lengths, n, c, init);
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&b1);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bb);
    PyBuffer_Release(&bl);
    return result;
}

/* lin_stack(s, zw, intercept, pw, b_out, stack, out): out (float64, n) = the English sentence logits:
 * lin = (s + zw) + intercept (s float64, zw float32: model.batch_logits' s + z @ w_dense + intercept);
 * with pw (float32, n: pooled @ w_out) not None, stack[0] * lin + stack[1] * (pw + b_out) + stack[2]
 * (ConvNet.stacked over ConvNet.forward's float64 logit), else lin. */
static PyObject *lin_stack(PyObject *self, PyObject *args) {
    PyObject *o_s, *o_zw, *o_pw, *o_st, *o_out;
    double intercept, b_out;
    if (!PyArg_ParseTuple(args, "OOdOdOO", &o_s, &o_zw, &intercept, &o_pw, &b_out, &o_st, &o_out)) return NULL;
    Py_buffer bs = {0}, bz = {0}, bp = {0}, bt = {0}, bo = {0};
    PyObject *result = NULL;
    int cnn = o_pw != Py_None;
    if (get_buf(o_s, &bs, 8, 0, 0, "s") < 0) goto done;
    {
        Py_ssize_t n = bs.len / 8;
        if (get_buf(o_zw, &bz, 4, n, 0, "zw") < 0) goto done;
        if (cnn && get_buf(o_pw, &bp, 4, n, 0, "pw") < 0) goto done;
        if (cnn && get_buf(o_st, &bt, 8, 3, 0, "stack") < 0) goto done;
        if (get_buf(o_out, &bo, 8, n, 1, "out") < 0) goto done;
        const double *s = bs.buf, *st = cnn ? bt.buf : NULL;
        const float *zw = bz.buf, *pw = cnn ? bp.buf : NULL;
        double *out = bo.buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            double lin = (s[i] + (double)zw[i]) + intercept;
            out[i] = cnn ? (st[0] * lin + st[1] * ((double)pw[i] + b_out)) + st[2] : lin;
        }
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bp);
    PyBuffer_Release(&bz);
    PyBuffer_Release(&bs);
    return result;
}
/* ---- end garble s7b ---- */

/* ---- garble s8 ---- */
/* unl_best(h, seg, cls, found, pos, vocab_logp, w_sparse, salt, q, mask, let, fw_logp, bounds, driving, best, weight)
 *
 * score._unlikely_ngrams' search for the highest-weight word bigram of each driving sentence, ~25 small numpy
 * operations per document in one pass.  Tokens (T >= 2): hash h (uint64), owner seg (int64), class cls (uint8),
 * their vocabulary look-up found (uint8) / pos (int64, in [0, len(vocab_logp)) where found); vocab_logp
 * (float32); w_sparse (float32, mask + 1 entries).  Bigram i = (i, i + 1), i < T - 1: its bucket
 * vec_mix((h[i] + h[i+1] * q) ^ salt) & mask (vec.word_bigram_buckets), its weight the float64 of w_sparse there,
 * -inf unless both tokens are letters of one sentence and np.minimum(lp[i], lp[i+1]) <= fw_logp with lp the
 * word's vocab_logp, -99.0 when not found (a NaN in either makes the minimum NaN: not a candidate).  bounds
 * (int64, n + 1): np.searchsorted(seg[:-1], arange(n + 1)); for each driving sentence k (int64, in [0, n)):
 * best[j] = lo + np.argmax(weights[lo:hi]) for lo, hi = bounds[k], bounds[k + 1] (the first maximum, or the
 * first NaN as numpy's argmax), -1 when hi <= lo; weight[j] = that weight (float64, 0.0 for -1). */
static PyObject *unl_best(PyObject *self, PyObject *args) {
    PyObject *o_h, *o_seg, *o_cls, *o_f, *o_p, *o_lp, *o_w, *o_b, *o_d, *o_best, *o_wt;
    unsigned long long salt, q, mask;
    int let;
    double fw_logp;
    if (!PyArg_ParseTuple(args, "OOOOOOOKKKidOOOO", &o_h, &o_seg, &o_cls, &o_f, &o_p, &o_lp, &o_w, &salt, &q, &mask,
                          &let, &fw_logp, &o_b, &o_d, &o_best, &o_wt))
        return NULL;
    Py_buffer bh = {0}, bs = {0}, bc = {0}, bf = {0}, bp = {0}, blp = {0}, bw = {0}, bb = {0}, bd = {0}, bo = {0},
              bwt = {0};
    PyObject *result = NULL;
    if (get_buf(o_h, &bh, 8, 2, 0, "h") < 0) goto done;
    Py_ssize_t t = bh.len / 8;
    if (get_buf(o_seg, &bs, 8, t, 0, "seg") < 0) goto done;
    if (get_buf(o_cls, &bc, 1, t, 0, "cls") < 0) goto done;
    if (get_buf(o_f, &bf, 1, t, 0, "found") < 0) goto done;
    if (get_buf(o_p, &bp, 8, t, 0, "pos") < 0) goto done;
    if (get_buf(o_lp, &blp, 4, 0, 0, "vocab_logp") < 0) goto done;
    if (get_buf(o_w, &bw, 4, 0, 0, "w_sparse") < 0) goto done;
    if (get_buf(o_b, &bb, 8, 1, 0, "bounds") < 0) goto done;
    if (get_buf(o_d, &bd, 8, 0, 0, "driving") < 0) goto done;
    if (get_buf(o_best, &bo, 8, bd.len / 8, 1, "best") < 0) goto done;
    if (get_buf(o_wt, &bwt, 8, bd.len / 8, 1, "weight") < 0) goto done;
    {
        const uint64_t *h = bh.buf;
        const int64_t *seg = bs.buf, *pos = bp.buf, *bounds = bb.buf, *drv = bd.buf;
        const uint8_t *cls = bc.buf, *found = bf.buf;
        const float *vlp = blp.buf, *w = bw.buf;
        int64_t *best = bo.buf;
        double *wt = bwt.buf;
        Py_ssize_t nv = blp.len / 4, nw = bw.len / 4, n = bb.len / 8 - 1, nd = bd.len / 8;
        if (mask >= (unsigned long long)nw) {
            PyErr_SetString(PyExc_ValueError, "w_sparse must hold mask + 1 weights");
            goto done;
        }
        for (Py_ssize_t i = 0; i < t; i++)
            if (found[i] && (pos[i] < 0 || pos[i] >= nv)) {
                PyErr_SetString(PyExc_ValueError, "pos out of vocab_logp");
                goto done;
            }
        for (Py_ssize_t k = 0; k <= n; k++)
            if (bounds[k] < 0 || bounds[k] > t - 1 || (k && bounds[k] < bounds[k - 1])) {
                PyErr_SetString(PyExc_ValueError, "bounds must be non-decreasing in [0, len(h) - 1]");
                goto done;
            }
        for (Py_ssize_t j = 0; j < nd; j++) {
            int64_t k = drv[j];
            if (k < 0 || k >= n) {
                PyErr_SetString(PyExc_ValueError, "a driving sentence is out of range");
                goto done;
            }
            int64_t lo = bounds[k], hi = bounds[k + 1], arg = -1;
            double top = 0.0;
            for (int64_t i = lo; i < hi; i++) {
                double v = -INFINITY;
                if (seg[i] == seg[i + 1] && cls[i] == let && cls[i + 1] == let) {
                    double a = found[i] ? (double)vlp[pos[i]] : -99.0, b = found[i + 1] ? (double)vlp[pos[i + 1]] : -99.0;
                    if (!isnan(a) && !isnan(b) && (a <= fw_logp || b <= fw_logp)) {
                        uint64_t x = vec_mix((h[i] + h[i + 1] * (uint64_t)q) ^ (uint64_t)salt) & (uint64_t)mask;
                        v = (double)w[x];
                    }
                }
                if (arg < 0) {
                    arg = i;
                    top = v;
                } else if (!isnan(top) && (v > top || isnan(v))) { /* np.argmax: the first maximum, a NaN wins */
                    arg = i;
                    top = v;
                }
            }
            best[j] = arg;
            wt[j] = arg < 0 ? 0.0 : top;
        }
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&bwt);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&bb);
    PyBuffer_Release(&bw);
    PyBuffer_Release(&blp);
    PyBuffer_Release(&bp);
    PyBuffer_Release(&bf);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bh);
    return result;
}
/* ---- end garble s8 ---- */

/* ---- garble s8b ---- */
/* score._BOUNDARY (\n | [.!?]["'”’)\]]*(?=\s) | [。！？]["'”’」』）)]*) scanned without re: re tried its set
 * at every position (~100 instructions a character on the long dev texts).  A match starts at a newline
 * (one character), at [.!?] when its greedy closers, up to hi, are followed by white space before hi (re's
 * \s on str is Py_UNICODE_ISSPACE, as str.isspace), and at each CJK mark with its closers up to hi; closers
 * are no match starts, so a failed start is followed by the next position as re does. */
static inline int bnd_close_latin(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == ')' || c == ']';
}

static inline int bnd_close_cjk(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == 0x300D || c == 0x300F || c == 0xFF09 ||
           c == ')';
}

/* The end of the first match of score._BOUNDARY in text[i:hi] as re.search(text, i, hi) finds it; -1 if none.
 * 0 <= i, hi <= the text's length. */
static Py_ssize_t bnd_scan(int kind, const void *d, Py_ssize_t i, Py_ssize_t hi) {
    for (; i < hi; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (c == '\n') return i + 1;
        if (c == '.' || c == '!' || c == '?') {
            Py_ssize_t j = i + 1;
            while (j < hi && bnd_close_latin(PyUnicode_READ(kind, d, j))) j++;
            if (j < hi && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, j))) return j;
        } else if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F) {
            Py_ssize_t j = i + 1;
            while (j < hi && bnd_close_cjk(PyUnicode_READ(kind, d, j))) j++;
            return j;
        }
    }
    return -1;
}

/* bnd_next(text, pos, endpos) -> int: the end of _BOUNDARY.search(text, pos, endpos), -1 when it finds none
 * (pos and endpos clamped to [0, len(text)] as re clamps them). */
static PyObject *bnd_next(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "Unn", &text, &lo, &hi)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (lo < 0) lo = 0;
    if (hi > n) hi = n;
    if (lo > hi) return PyLong_FromSsize_t(-1);
    return PyLong_FromSsize_t(bnd_scan(PyUnicode_KIND(text), PyUnicode_DATA(text), lo, hi));
}

/* bnd_pieces(text) -> list[tuple[int, int]]: score._pieces, the spans between consecutive ends of
 * _BOUNDARY.finditer(text) (from 0, the last to len(text)) that are not empty or all white space
 * (str.isspace: every character Py_UNICODE_ISSPACE). */
static PyObject *bnd_pieces(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Py_ssize_t a = 0;
    while (a < n) {
        Py_ssize_t b = bnd_scan(kind, d, a, n);
        if (b < 0) b = n;
        /* b > a: a match ends after its first character, at or after a */
        Py_ssize_t k = a;
        while (k < b && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, k))) k++;
        if (k < b) {
            PyObject *span = Py_BuildValue("(nn)", a, b);
            if (!span || PyList_Append(out, span) < 0) {
                Py_XDECREF(span);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(span);
        }
        a = b;
    }
    return out;
}
/* ---- end garble s8b ---- */

/* ---- boilerplate s8a ---- */

/* label_codes(labels, names, out) -> None
 *
 * out[i] (uint8) = the index in `names` (a tuple of at most 255 str) of labels[i] (a list): the
 * first name that is the same object, else the first equal str; 255 for none.  The stage's
 * np.fromiter(map(name.__eq__, label)) masks, all of them from one pass. */
static PyObject *label_codes(PyObject *self, PyObject *args) {
    PyObject *labels, *names, *o_out;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyList_Type, &labels, &PyTuple_Type, &names, &o_out)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(labels), m = PyTuple_GET_SIZE(names);
    if (m > 255) {
        PyErr_SetString(PyExc_ValueError, "at most 255 names");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < m; k++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(names, k))) {
            PyErr_SetString(PyExc_TypeError, "names must be str");
            return NULL;
        }
    }
    Py_buffer b_out = {0};
    if (get_buf(o_out, &b_out, 1, n, 1, "out") < 0) return NULL;
    uint8_t *out = (uint8_t *)b_out.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(labels, i);
        uint8_t code = 255;
        for (Py_ssize_t k = 0; k < m; k++) {
            if (PyTuple_GET_ITEM(names, k) == s) {
                code = (uint8_t)k;
                break;
            }
        }
        if (code == 255 && PyUnicode_Check(s)) { /* str comparison runs no Python code */
            for (Py_ssize_t k = 0; k < m; k++) {
                int r = PyUnicode_Compare(s, PyTuple_GET_ITEM(names, k));
                if (r == -1 && PyErr_Occurred()) {
                    PyBuffer_Release(&b_out);
                    return NULL;
                }
                if (r == 0) {
                    code = (uint8_t)k;
                    break;
                }
            }
        }
        out[i] = code;
    }
    PyBuffer_Release(&b_out);
    Py_RETURN_NONE;
}

/* fill_rows(lists, values, rows) -> None
 *
 * lists[j][r] = values[j] for every row r of `rows` (int64) and every list j: the stage's
 * `for i in rows: label[i], reason[i] = a, b` loops.  Every row is checked against every list's
 * length before anything is written. */
static PyObject *fill_rows(PyObject *self, PyObject *args) {
    PyObject *lists, *values, *o_rows;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyTuple_Type, &lists, &PyTuple_Type, &values, &o_rows)) return NULL;
    Py_ssize_t nl = PyTuple_GET_SIZE(lists);
    if (PyTuple_GET_SIZE(values) != nl) {
        PyErr_SetString(PyExc_ValueError, "one value per list");
        return NULL;
    }
    Py_ssize_t minlen = PY_SSIZE_T_MAX;
    for (Py_ssize_t j = 0; j < nl; j++) {
        PyObject *l = PyTuple_GET_ITEM(lists, j);
        if (!PyList_Check(l)) {
            PyErr_SetString(PyExc_TypeError, "lists must be lists");
            return NULL;
        }
        if (PyList_GET_SIZE(l) < minlen) minlen = PyList_GET_SIZE(l);
    }
    Py_buffer b_rows = {0};
    if (get_buf(o_rows, &b_rows, 8, 0, 0, "rows") < 0) return NULL;
    const int64_t *rows = (const int64_t *)b_rows.buf;
    Py_ssize_t nr = b_rows.len / 8;
    for (Py_ssize_t q = 0; q < nr; q++) {
        if (rows[q] < 0 || rows[q] >= (int64_t)minlen) {
            PyBuffer_Release(&b_rows);
            PyErr_SetString(PyExc_IndexError, "row out of range");
            return NULL;
        }
    }
    for (Py_ssize_t q = 0; q < nr; q++) {
        for (Py_ssize_t j = 0; j < nl; j++) {
            PyObject *v = PyTuple_GET_ITEM(values, j);
            Py_INCREF(v);
            /* PyList_SetItem checks the index again (a replaced item's finaliser could shrink the list) */
            if (PyList_SetItem(PyTuple_GET_ITEM(lists, j), (Py_ssize_t)rows[q], v) < 0) {
                PyBuffer_Release(&b_rows);
                return NULL;
            }
        }
    }
    PyBuffer_Release(&b_rows);
    Py_RETURN_NONE;
}

/* join_kept(lines, codes, kept, empty) -> str
 *
 * The stage's _join: the lines whose code (uint8, one per line) has its bit set in `kept` (codes
 * below 64), "\n" between two of them, "\n\n" where a line coded `empty` lies between them. */
static PyObject *join_kept(PyObject *self, PyObject *args) {
    PyObject *lines, *o_codes;
    unsigned long long kept;
    int empty;
    if (!PyArg_ParseTuple(args, "O!OKi", &PyList_Type, &lines, &o_codes, &kept, &empty)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    Py_buffer b_codes = {0};
    if (get_buf(o_codes, &b_codes, 1, n, 0, "codes") < 0) return NULL;
    if (b_codes.len != n) {  /* as _join's zip(strict=True): one code per line */
        PyBuffer_Release(&b_codes);
        PyErr_SetString(PyExc_ValueError, "codes: one per line");
        return NULL;
    }
    const uint8_t *codes = (const uint8_t *)b_codes.buf;
    PyObject *pieces = PyList_New(0), *nl1 = PyUnicode_FromString("\n"), *nl2 = PyUnicode_FromString("\n\n");
    PyObject *sep = PyUnicode_FromString(""), *result = NULL;
    if (!pieces || !nl1 || !nl2 || !sep) goto done;
    {
        int gap = 0, have = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            unsigned c = codes[i];
            if (c < 64 && ((kept >> c) & 1ull)) {
                if (have && PyList_Append(pieces, gap ? nl2 : nl1) < 0) goto done;
                if (PyList_Append(pieces, PyList_GET_ITEM(lines, i)) < 0) goto done;
                have = 1;
                gap = 0;
            } else if ((int)c == empty && have) {
                gap = 1;
            }
        }
    }
    result = PyUnicode_Join(sep, pieces);
done:
    PyBuffer_Release(&b_codes);
    Py_XDECREF(pieces);
    Py_XDECREF(nl1);
    Py_XDECREF(nl2);
    Py_XDECREF(sep);
    return result;
}

/* expected_f(p, n, pool, gold, keep) -> kept lines, or -1
 *
 * features.expected_f_keep after its dot product (gold = beta**2 * p.n): the pool's lines (int64
 * indices into p and n, float64) ordered by p descending, ties in pool order (numpy's stable
 * argsort of -p), running sums of p*n and n (sequential, as np.cumsum), F = sum(p*n) / max(sum(n)
 * + gold, 1e-12), and the lines up to numpy's argmax of F (the first maximum) set in keep (uint8,
 * zeroed here).  -1 (keep untouched) when a score is NaN: numpy's order differs there, and the
 * caller takes the numpy path. */
static PyObject *expected_f(PyObject *self, PyObject *args) {
    PyObject *o_p, *o_n, *o_pool, *o_keep;
    double gold;
    if (!PyArg_ParseTuple(args, "OOOdO", &o_p, &o_n, &o_pool, &gold, &o_keep)) return NULL;
    Py_buffer b_p = {0}, b_n = {0}, b_pool = {0}, b_keep = {0};
    PyObject *result = NULL;
    rank_t *r = NULL;
    if (get_buf(o_p, &b_p, 8, 0, 0, "p") < 0) goto done;
    Py_ssize_t N = b_p.len / 8;
    if (get_buf(o_n, &b_n, 8, N, 0, "n") < 0) goto done;
    if (get_buf(o_pool, &b_pool, 8, 0, 0, "pool") < 0) goto done;
    if (get_buf(o_keep, &b_keep, 1, N, 1, "keep") < 0) goto done;
    {
        const double *p = (const double *)b_p.buf, *n = (const double *)b_n.buf;
        const int64_t *pool = (const int64_t *)b_pool.buf;
        uint8_t *keep = (uint8_t *)b_keep.buf;
        Py_ssize_t K = b_pool.len / 8;
        for (Py_ssize_t j = 0; j < K; j++) {
            if (pool[j] < 0 || pool[j] >= (int64_t)N) {
                PyErr_SetString(PyExc_IndexError, "pool index out of range");
                goto done;
            }
            if (isnan(p[pool[j]])) {
                result = PyLong_FromLong(-1);
                goto done;
            }
        }
        memset(keep, 0, (size_t)N);
        if (K == 0) {
            result = PyLong_FromLong(0);
            goto done;
        }
        r = PyMem_Malloc((size_t)K * sizeof(rank_t));
        if (!r) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t j = 0; j < K; j++) {
            r[j].v = p[pool[j]];
            r[j].i = j; /* ties in pool order, as the stable argsort of p[pool] */
        }
        rank_sort(r, K);
        double s1 = 0.0, s2 = 0.0, best = 0.0;
        Py_ssize_t bi = 0;
        int best_nan = 0;
        for (Py_ssize_t j = 0; j < K; j++) {
            int64_t o = pool[r[j].i];
            double w = n[o];
            s1 += p[o] * w;
            s2 += w;
            double d = s2 + gold;
            double f = s1 / (d > 1e-12 || isnan(d) ? d : 1e-12); /* np.maximum: NaN wins */
            if (best_nan) continue; /* np.argmax: the first NaN is the maximum */
            if (j == 0 || isnan(f) || f > best) {
                best = f;
                bi = j;
                best_nan = isnan(f);
            }
        }
        for (Py_ssize_t j = 0; j <= bi; j++) keep[pool[r[j].i]] = 1;
        result = PyLong_FromSsize_t(bi + 1);
    }
done:
    if (r) PyMem_Free(r);
    PyBuffer_Release(&b_keep);
    PyBuffer_Release(&b_pool);
    PyBuffer_Release(&b_n);
    PyBuffer_Release(&b_p);
    return result;
}

/* vocab_filter(words, bits) -> None
 *
 * For token_columns' filter: sets in `bits` (writable uint64, a power of two of words, zeroed by the
 * caller) the bit of every str of `words` (a tuple), from the FNV-1a hash of its code points that
 * token_columns computes for a token (an equal token has the same hash, so its bit is set). */
static PyObject *vocab_filter(PyObject *self, PyObject *args) {
    PyObject *words, *o_bits;
    if (!PyArg_ParseTuple(args, "O!O", &PyTuple_Type, &words, &o_bits)) return NULL;
    Py_buffer bb = {0};
    if (get_buf(o_bits, &bb, 8, 1, 1, "bits") < 0) return NULL;
    Py_ssize_t nw = bb.len / 8;
    if (nw & (nw - 1)) {
        PyBuffer_Release(&bb);
        PyErr_SetString(PyExc_ValueError, "bits: a power of two of words");
        return NULL;
    }
    uint64_t *bits = (uint64_t *)bb.buf, mask = (uint64_t)nw * 64 - 1;
    for (Py_ssize_t q = 0; q < PyTuple_GET_SIZE(words); q++) {
        PyObject *w = PyTuple_GET_ITEM(words, q);
        if (!PyUnicode_Check(w)) {
            PyBuffer_Release(&bb);
            PyErr_SetString(PyExc_TypeError, "words must be str");
            return NULL;
        }
        int kind = PyUnicode_KIND(w);
        const void *data = PyUnicode_DATA(w);
        uint64_t h = FNV1A_INIT;
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(w); i++)
            h = fnv1a(h, PyUnicode_READ(kind, data, i));
        uint64_t b = (h >> 20) & mask;
        bits[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    PyBuffer_Release(&bb);
    Py_RETURN_NONE;
}

/* ---- end boilerplate s8a ---- */

/* ---- language s8 ---- */
/* Character-class scans for fix_encoding and the pipeline's input checks (checked against
 * CLEANER_LANGUAGE_ABI too).  Both read a str in place, one loop per string kind. */

#define CS_MAX_LIMIT 65536

/* cp_scan(text, cls, masks, limit) -> list[int] | None
 *
 * cls (bytes): a class number per code point below len(cls); every other code point is class 0.
 * masks (uint64, exactly 512: two per possible class): masks[2k] the "first" bits of class k,
 * masks[2k + 1] its "second" bits.  Bit 0 of a first mask: a character that settles the question
 * alone -- None is returned at the first one.  Bit 1: a character that is a trigger alone (its
 * position is listed).  Bits 2..63: pairs -- position i is listed when first(text[i]) and
 * second(text[i + 1]) share one.  Returns the listed positions in increasing order (single
 * triggers and pairs merged, a position once), stopping after limit + 1 of them.
 * fix_encoding builds the tables from ftfy's own regexes (cleaner/fix_encoding.py, _scan_tables). */
#define CS_LOOP(T)                                                                                         \
    {                                                                                                      \
        const T *s = (const T *)data;                                                                      \
        for (Py_ssize_t i = 0; i < n; i++) {                                                               \
            Py_UCS4 c = s[i];                                                                              \
            unsigned k = (Py_ssize_t)c < ncls ? cls[c] : 0;                                                \
            if (!k) {                                                                                      \
                prev = 0;                                                                                  \
                continue;                                                                                  \
            }                                                                                              \
            uint64_t f = masks[2 * k];                                                                     \
            if (prev & masks[2 * k + 1]) {                                                                 \
                if (!npos || pos[npos - 1] != i - 1) pos[npos++] = i - 1;                                  \
                if (npos > limit) break;                                                                   \
            }                                                                                              \
            if (f & 1) {                                                                                   \
                stop = 1;                                                                                  \
                break;                                                                                     \
            }                                                                                              \
            if (f & 2) {                                                                                   \
                pos[npos++] = i;                                                                           \
                if (npos > limit) break;                                                                   \
            }                                                                                              \
            prev = f & ~(uint64_t)3;                                                                       \
        }                                                                                                  \
    }

static PyObject *cp_scan(PyObject *self, PyObject *args) {
    PyObject *text, *obm;
    Py_buffer bc, bm;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "Uy*On", &text, &bc, &obm, &limit)) return NULL;
    if (limit < 0 || limit > CS_MAX_LIMIT) {
        PyBuffer_Release(&bc);
        PyErr_SetString(PyExc_ValueError, "cp_scan: limit out of range");
        return NULL;
    }
    if (get_buf(obm, &bm, 8, 512, 0, "cp_scan masks") < 0) {
        PyBuffer_Release(&bc);
        return NULL;
    }
    const unsigned char *cls = bc.buf;
    Py_ssize_t ncls = bc.len;
    const uint64_t *masks = bm.buf;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t *pos = PyMem_Malloc((size_t)(limit + 2) * sizeof(Py_ssize_t));
    PyObject *result = NULL;
    if (!pos) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t npos = 0;
    int stop = 0;
    uint64_t prev = 0;
    if (kind == PyUnicode_1BYTE_KIND)
        CS_LOOP(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        CS_LOOP(Py_UCS2)
    else
        CS_LOOP(Py_UCS4)
    if (stop) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = PyList_New(npos);
    if (!result) goto done;
    for (Py_ssize_t j = 0; j < npos; j++) {
        PyObject *v = PyLong_FromSsize_t(pos[j]);
        if (!v) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, j, v);
    }
done:
    PyMem_Free(pos);
    PyBuffer_Release(&bc);
    PyBuffer_Release(&bm);
    return result;
}
#undef CS_LOOP

/* cp_count(text, table, start, end) -> tuple of 8 ints
 *
 * table (bytes): 8 flag bits per code point below len(table) (none for the others); returns, for
 * each bit, how many characters of text[start:end] (clipped to the text) have it.  The pipeline's
 * input checks: control characters and U+FFFD in a sample, lone surrogates anywhere. */
#define CC_LOOP(T)                                                                                         \
    {                                                                                                      \
        const T *s = (const T *)data;                                                                      \
        for (Py_ssize_t i = start; i < end; i++) {                                                         \
            Py_UCS4 c = s[i];                                                                              \
            unsigned b = (Py_ssize_t)c < ntab ? tab[c] : 0;                                                \
            if (b) {                                                                                       \
                for (int q = 0; q < 8; q++) counts[q] += (b >> q) & 1;                                     \
            }                                                                                              \
        }                                                                                                  \
    }

static PyObject *cp_count(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_buffer bt;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "Uy*nn", &text, &bt, &start, &end)) return NULL;
    const unsigned char *tab = bt.buf;
    Py_ssize_t ntab = bt.len;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (start < 0) start = 0;
    if (end > n) end = n;
    Py_ssize_t counts[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND)
        CC_LOOP(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        CC_LOOP(Py_UCS2)
    else
        CC_LOOP(Py_UCS4)
    PyBuffer_Release(&bt);
    return Py_BuildValue("(nnnnnnnn)", counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6],
                         counts[7]);
}
#undef CC_LOOP

/* lid_states(keys, nodes, depth, data) -> bytes (int32 per byte of data)
 *
 * cleaner.language.backends.FlatAutomaton.states in one loop: the state of py3langid's automaton
 * after each byte of data is the node of the longest suffix (at most depth bytes) of the bytes read
 * so far that is a node, else the root (0).  keys (uint64, sorted ascending, no duplicates: length <<
 * 48 | the bytes big-endian) and nodes (int32, the state of each key); the keys must be a trie's nodes
 * (every prefix of a key's bytes a key too), as FlatAutomaton's are.  A binary search per suffix
 * length, longest first, from one more than the previous byte's (instead of numpy's search of every
 * length at every position). */
static PyObject *lid_states(PyObject *self, PyObject *args) {
    PyObject *okeys, *onodes;
    int depth;
    Py_buffer bk, bn, bd;
    if (!PyArg_ParseTuple(args, "OOiy*", &okeys, &onodes, &depth, &bd)) return NULL;
    if (depth < 0 || depth > 6) {
        PyBuffer_Release(&bd);
        PyErr_SetString(PyExc_ValueError, "lid_states: depth out of range");
        return NULL;
    }
    if (get_buf(okeys, &bk, 8, 0, 0, "lid_states keys") < 0) {
        PyBuffer_Release(&bd);
        return NULL;
    }
    Py_ssize_t nk = bk.len / 8;
    if (get_buf(onodes, &bn, 4, nk, 0, "lid_states nodes") < 0) {
        PyBuffer_Release(&bk);
        PyBuffer_Release(&bd);
        return NULL;
    }
    const uint64_t *keys = bk.buf;
    const int32_t *nodes = bn.buf;
    const unsigned char *b = bd.buf;
    Py_ssize_t n = bd.len;
    PyObject *out = size_mul(n, 4) >= 0 ? PyBytes_FromStringAndSize(NULL, n * 4) : PyErr_NoMemory();
    if (out) {
        int32_t *st = (int32_t *)PyBytes_AS_STRING(out);
        int prev = 0; /* the length of the suffix found at the previous byte (0: the root) */
        for (Py_ssize_t i = 0; i < n; i++) {
            int32_t state = 0;
            /* a trie's nodes are closed under prefixes: a node suffix of length k ending here has a node
             * prefix of length k - 1 ending at the previous byte, so k <= prev + 1 */
            int top = prev + 1 < depth ? prev + 1 : depth;
            prev = 0;
            for (int k = top; k >= 1; k--) {
                uint64_t key = (uint64_t)k << 48;
                for (int q = k - 1; q >= 0; q--) key |= (uint64_t)b[i - q] << (8 * q);
                Py_ssize_t lo = u64_lower_bound(keys, nk, key);
                if (lo < nk && keys[lo] == key) {
                    state = nodes[lo];
                    prev = k;
                    break;
                }
            }
            st[i] = state;
        }
    }
    PyBuffer_Release(&bk);
    PyBuffer_Release(&bn);
    PyBuffer_Release(&bd);
    return out;
}

/* lang_sample(text, limit) -> (starts, ends): language._sample's choice of lines, as spans of text
 *
 * The lines as str.splitlines() cuts them (at Py_UNICODE_ISLINEBREAK characters, "\r\n" as one
 * break), those with a character that is not Py_UNICODE_ISSPACE (what filter(str.strip, ...) keeps),
 * taken longest first (ties in document order) while the lines taken so far, each with a newline,
 * hold fewer than limit characters; returned in document order as two lists of offsets.  The caller
 * joins them with "\n" and cuts the result at limit, as the Python path does. */
typedef struct {
    Py_ssize_t start, len;
} ls_line;

static int ls_by_length(const void *a, const void *b) {
    const ls_line *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->start < y->start ? -1 : (x->start > y->start);
}

static int ls_by_start(const void *a, const void *b) {
    const ls_line *x = a, *y = b;
    return x->start < y->start ? -1 : (x->start > y->start);
}

/* str.splitlines()'s line breaks (CPython's _PyUnicode_IsLinebreak: \n \v \f \r \x1c-\x1e \x85 \u2028
 * \u2029; tests/language/test_language_fast_paths.py checks this against splitlines for every code point) */
static int ls_break(Py_UCS4 c) {
    return c < 128 ? ((c >= 0x0A && c <= 0x0D) || (c >= 0x1C && c <= 0x1E)) : (c == 0x85 || c == 0x2028 || c == 0x2029);
}

#define LS_SCAN(T)                                                                                         \
    {                                                                                                      \
        const T *u = (const T *)data;                                                                      \
        Py_ssize_t s = 0;                                                                                  \
        while (s < n) {                                                                                    \
            Py_ssize_t j = s;                                                                              \
            int blank = 1;                                                                                 \
            for (; j < n; j++) {                                                                           \
                Py_UCS4 c = u[j];                                                                          \
                if (ls_break(c)) break;                                                                    \
                if (blank && !Py_UNICODE_ISSPACE(c)) blank = 0;                                            \
            }                                                                                              \
            if (!blank) {                                                                                  \
                if (kept == cap) {                                                                         \
                    Py_ssize_t ncap = cap ? 2 * cap : 64;                                                  \
                    ls_line *nl = PyMem_Realloc(lines, sizeof(ls_line) * (size_t)ncap);                    \
                    if (!nl) {                                                                             \
                        PyErr_NoMemory();                                                                  \
                        goto done;                                                                         \
                    }                                                                                      \
                    lines = nl;                                                                            \
                    cap = ncap;                                                                            \
                }                                                                                          \
                lines[kept].start = s;                                                                     \
                lines[kept].len = j - s;                                                                   \
                kept++;                                                                                    \
            }                                                                                              \
            if (j + 1 < n && u[j] == '\r' && u[j + 1] == '\n') j++;                                        \
            s = j + 1;                                                                                     \
        }                                                                                                  \
    }

static PyObject *lang_sample(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "Un", &text, &limit)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    ls_line *lines = NULL;
    Py_ssize_t kept = 0, cap = 0;
    PyObject *starts = NULL, *ends = NULL, *result = NULL;
    if (kind == PyUnicode_1BYTE_KIND)
        LS_SCAN(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        LS_SCAN(Py_UCS2)
    else
        LS_SCAN(Py_UCS4)
    if (kept) qsort(lines, (size_t)kept, sizeof(ls_line), ls_by_length);
    Py_ssize_t size = 0, chosen = 0;
    while (chosen < kept && size < limit) {
        size += lines[chosen].len + 1;
        chosen++;
    }
    if (chosen) qsort(lines, (size_t)chosen, sizeof(ls_line), ls_by_start);
    starts = PyList_New(chosen);
    ends = PyList_New(chosen);
    if (!starts || !ends) goto done;
    for (Py_ssize_t q = 0; q < chosen; q++) {
        PyObject *a = PyLong_FromSsize_t(lines[q].start);
        if (!a) goto done;
        PyList_SET_ITEM(starts, q, a);
        PyObject *b = PyLong_FromSsize_t(lines[q].start + lines[q].len);
        if (!b) goto done;
        PyList_SET_ITEM(ends, q, b);
    }
    result = PyTuple_Pack(2, starts, ends);
done:
    PyMem_Free(lines);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    return result;
}
#undef LS_SCAN
/* ---- end language s8 ---- */

/* ---- boilerplate s8b ---- */
/* The rules path's own layout version (cleaner/boilerplate/related.py checks it). */
#define CLEANER_BP_RULES_ABI 1

/* whether c is in one of the n sorted, disjoint inclusive ranges rng[2k]..rng[2k+1] */
static int bp_in_ranges(Py_UCS4 c, const uint32_t *rng, Py_ssize_t n) {
    for (Py_ssize_t k = 0; k < n; k++) {
        if (c < rng[2 * k]) return 0;
        if (c <= rng[2 * k + 1]) return 1;
    }
    return 0;
}

/* 1: a letter of related._LETTERS ([^\W\d_HAN]: re's \w for str is Py_UNICODE_ISALNUM or "_", its \d
 * Py_UNICODE_ISDECIMAL), 2: a Han character (related.HAN), 0: neither */
static int bp_tok_class(Py_UCS4 c, const uint32_t *han, Py_ssize_t nhan) {
    if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (bp_in_ranges(c, han, nhan)) return 2;
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

static int bp_cjk_start(Py_UCS4 c) { return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff); }

/* add text[a:b] to the set (a new reference is made and released) */
static int bp_add(PyObject *out, PyObject *text, Py_ssize_t a, Py_ssize_t b) {
    PyObject *w = PyUnicode_Substring(text, a, b);
    if (!w) return -1;
    int rc = PySet_Add(out, w);
    Py_DECREF(w);
    return rc;
}

/* related_tokens(low, stop, han) -> set
 *
 * related.tokens of an already lower-cased str: every maximal run of letters (bp_tok_class 1) of 3 or
 * more and every maximal run of Han characters (class 2) is a token; a token whose first character is
 * in U+2E80..U+9FFF or U+F900..U+FAFF is replaced by its character bigrams (none when it is one
 * character long), any other is kept unless it is in stop (a set or frozenset).  han: the Han ranges
 * as uint32 pairs (lo, hi), sorted (a bytes-like object).  The same set as the Python function
 * (tests/boilerplate/test_related.py compares them on the dev pages and on generated text).
 */
static PyObject *related_tokens(PyObject *self, PyObject *args) {
    PyObject *text, *stop, *o_han;
    if (!PyArg_ParseTuple(args, "UOO", &text, &stop, &o_han)) return NULL;
    if (!PyAnySet_Check(stop)) {
        PyErr_SetString(PyExc_TypeError, "stop must be a set or frozenset");
        return NULL;
    }
    Py_buffer bh = {0};
    if (PyObject_GetBuffer(o_han, &bh, PyBUF_SIMPLE) < 0) return NULL;
    if (bh.len % 8 || ((uintptr_t)bh.buf % sizeof(uint32_t)) != 0) {
        PyBuffer_Release(&bh);
        PyErr_SetString(PyExc_ValueError, "han: uint32 (lo, hi) pairs, aligned");
        return NULL;
    }
    const uint32_t *han = bh.buf;
    Py_ssize_t nhan = bh.len / 8;
    PyObject *out = PySet_New(NULL);
    if (!out) {
        PyBuffer_Release(&bh);
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t i = 0;
    while (i < n) {
        int c0 = bp_tok_class(PyUnicode_READ(kind, data, i), han, nhan);
        if (!c0) {
            i++;
            continue;
        }
        Py_ssize_t a = i;
        while (i < n && bp_tok_class(PyUnicode_READ(kind, data, i), han, nhan) == c0) i++;
        if (c0 == 1 && i - a < 3) continue;
        if (bp_cjk_start(PyUnicode_READ(kind, data, a))) {
            for (Py_ssize_t k = a; k + 1 < i; k++)
                if (bp_add(out, text, k, k + 2) < 0) goto fail;
            continue;
        }
        PyObject *w = PyUnicode_Substring(text, a, i);
        if (!w) goto fail;
        int in_stop = PySet_Contains(stop, w);
        int rc = in_stop ? in_stop : PySet_Add(out, w);
        Py_DECREF(w);
        if (rc < 0) goto fail;
    }
    PyBuffer_Release(&bh);
    return out;
fail:
    PyBuffer_Release(&bh);
    Py_DECREF(out);
    return NULL;
}
/* ---- end boilerplate s8b ---- */

/* ---- boilerplate s8c ---- */

/* line_keys2(low, n_lines, chrome, strip_chars, max_len, dup, chrome_line) -> n_lines
 *
 * features._base's repetition and UI-label columns for the n_lines lines of low (the lower-cased
 * page, "\n" between lines): per line its key, the line without surrounding white space (str.strip),
 * dup = how many other lines have the same key (float64), and chrome_line = 1.0 when the key
 * stripped of strip_chars at both ends (str.strip(strip_chars)) is in the set chrome, else 0.0; a
 * string is made for that test only when it is at most max_len long (the set's longest entry).
 * Equal keys are found by a hash table over the keys' code points instead of a Counter of strings.
 * (It replaced session 6's line_keys, which read every character by PyUnicode_READ.)  One loop per text kind
 * and a filter before the UI-label test:
 * a stripped key is looked up in `chrome` only when some entry of the set has its length and its
 * first and last characters' low bytes (read off the set's str entries at each call; a set holding
 * anything but exact str disables the filter).  Two equal str have the same length and characters,
 * so the filter only drops keys that cannot be in the set: no str is made and hashed for them. */
typedef struct {
    uint64_t len_mask;   /* bit L: an entry of length L (L < 64) */
    int len_big;         /* an entry of length >= 64 */
    uint64_t first[4], last[4]; /* bit (c & 255): an entry starts / ends with such a character */
    int off;             /* no filter */
    uint64_t strip_ascii[2]; /* the strip characters below 128, as a bitmap */
} KeyFilter;

static int key_filter_init(KeyFilter *f, PyObject *chrome, PyObject *strip) {
    memset(f, 0, sizeof *f);
    /* the lookup reads the set's own table (PySet_Contains); a subclass could iterate other entries, so the
     * filter is built only from an exact set or frozenset, and is off for anything else */
    PyObject *it = (PyFrozenSet_CheckExact(chrome) || PySet_CheckExact(chrome)) ? PyObject_GetIter(chrome) : NULL, *s;
    if (!it) {
        if (PyErr_Occurred()) return -1;
        f->off = 1;
    }
    while (it && (s = PyIter_Next(it)) != NULL) {
        if (!PyUnicode_CheckExact(s)) {
            f->off = 1;
        } else {
            Py_ssize_t L = PyUnicode_GET_LENGTH(s);
            if (L < 64) f->len_mask |= (uint64_t)1 << L;
            else f->len_big = 1;
            if (L > 0) {
                Py_UCS4 a = PyUnicode_READ_CHAR(s, 0), b = PyUnicode_READ_CHAR(s, L - 1);
                f->first[(a & 255) >> 6] |= (uint64_t)1 << (a & 63);
                f->last[(b & 255) >> 6] |= (uint64_t)1 << (b & 63);
            }
        }
        Py_DECREF(s);
    }
    Py_XDECREF(it);
    if (PyErr_Occurred()) return -1;
    Py_ssize_t sl = PyUnicode_GET_LENGTH(strip);
    for (Py_ssize_t t = 0; t < sl; t++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(strip, t);
        if (c < 128) f->strip_ascii[c >> 6] |= (uint64_t)1 << (c & 63);
    }
    return 0;
}

/* whether str.strip(strip_chars) removes ch: the ASCII ones by the filter's bitmap, the others by a scan */
static inline int key_strips(const KeyFilter *kf, int skind, const void *sdata, Py_ssize_t slen, Py_UCS4 ch) {
    if (ch < 128) return (int)((kf->strip_ascii[ch >> 6] >> (ch & 63)) & 1);
    for (Py_ssize_t q = 0; q < slen; q++)
        if (PyUnicode_READ(skind, sdata, q) == ch) return 1;
    return 0;
}

#define LINE_KEYS_LOOP(NAME, T)                                                                           \
    static int NAME(PyObject *low, const T *t, Py_ssize_t len, Py_ssize_t n, PyObject *chrome,           \
                    PyObject *strip, Py_ssize_t max_len, const KeyFilter *kf, KeyRow *rows,               \
                    Py_ssize_t *row_of, Py_ssize_t *slot, Py_ssize_t cap, double *cl) {                    \
        Py_ssize_t slen = PyUnicode_GET_LENGTH(strip);                                                   \
        int skind = PyUnicode_KIND(strip);                                                               \
        const void *sdata = PyUnicode_DATA(strip);                                                       \
        Py_ssize_t line = 0, start = 0;                                                                   \
        for (;;) {                                                                                        \
            Py_ssize_t i = start;                                                                         \
            while (i < len && t[i] != '\n') i++;                                                          \
            if (line >= n) {                                                                              \
                PyErr_SetString(PyExc_ValueError, "more lines than n_lines");                             \
                return -1;                                                                                \
            }                                                                                             \
            Py_ssize_t a = start, b = i;                                                                  \
            while (a < b && Py_UNICODE_ISSPACE(t[a])) a++;                                                \
            while (b > a && Py_UNICODE_ISSPACE(t[b - 1])) b--;                                            \
            uint64_t h = FNV1A_INIT;                                                                          \
            for (Py_ssize_t j = a; j < b; j++) h = fnv1a(h, t[j]);                                        \
            Py_ssize_t k = (Py_ssize_t)(vec_mix(h) & (uint64_t)(cap - 1)), found = -1;                    \
            while (slot[k] >= 0) {                                                                        \
                KeyRow *r = &rows[slot[k]];                                                               \
                if (r->h == (Py_hash_t)h && r->b - r->a == b - a &&                                       \
                    memcmp(t + r->a, t + a, (size_t)(b - a) * sizeof(T)) == 0) {                          \
                    found = slot[k];                                                                      \
                    break;                                                                                \
                }                                                                                         \
                k = (k + 1) & (cap - 1);                                                                  \
            }                                                                                             \
            if (found < 0) {                                                                              \
                slot[k] = line;                                                                           \
                found = line;                                                                             \
            }                                                                                             \
            rows[line].a = a;                                                                             \
            rows[line].b = b;                                                                             \
            rows[line].h = (Py_hash_t)h;                                                                  \
            rows[found].count++;                                                                          \
            row_of[line] = found;                                                                         \
            Py_ssize_t c = a, d = b;                                                                      \
            while (c < d && key_strips(kf, skind, sdata, slen, t[c])) c++;                               \
            while (d > c && key_strips(kf, skind, sdata, slen, t[d - 1])) d--;                           \
            cl[line] = 0.0;                                                                               \
            Py_ssize_t L = d - c;                                                                         \
            int maybe = L <= max_len;                                                                     \
            if (maybe && !kf->off) {                                                                      \
                maybe = L < 64 ? (int)((kf->len_mask >> L) & 1) : kf->len_big;                            \
                if (maybe && L > 0) {                                                                     \
                    Py_UCS4 x = t[c] & 255, y = t[d - 1] & 255;                                           \
                    maybe = ((kf->first[x >> 6] >> (x & 63)) & 1) && ((kf->last[y >> 6] >> (y & 63)) & 1); \
                }                                                                                         \
            }                                                                                             \
            if (maybe) {                                                                                  \
                PyObject *sub = PyUnicode_Substring(low, c, d);                                           \
                if (!sub) return -1;                                                                      \
                int in = PySet_Contains(chrome, sub);                                                     \
                Py_DECREF(sub);                                                                           \
                if (in < 0) return -1;                                                                    \
                cl[line] = in ? 1.0 : 0.0;                                                                \
            }                                                                                             \
            line++;                                                                                       \
            if (i >= len) break;                                                                          \
            start = i + 1;                                                                                \
        }                                                                                                 \
        if (line != n) {                                                                                  \
            PyErr_SetString(PyExc_ValueError, "fewer lines than n_lines");                                \
            return -1;                                                                                    \
        }                                                                                                 \
        return 0;                                                                                         \
    }
LINE_KEYS_LOOP(line_keys_1, Py_UCS1)
LINE_KEYS_LOOP(line_keys_2, Py_UCS2)
LINE_KEYS_LOOP(line_keys_4, Py_UCS4)

static PyObject *line_keys2(PyObject *self, PyObject *args) {
    PyObject *low, *chrome, *strip;
    Py_ssize_t n, max_len;
    PyObject *o_dup, *o_cl;
    if (!PyArg_ParseTuple(args, "UnOUnOO", &low, &n, &chrome, &strip, &max_len, &o_dup, &o_cl)) return NULL;
    if (!PyAnySet_Check(chrome) || n < 0 || n > PY_SSIZE_T_MAX / 4 / (Py_ssize_t)sizeof(KeyRow)) {
        PyErr_SetString(PyExc_ValueError, "chrome must be a set and 0 <= n_lines (not too large)");
        return NULL;
    }
    KeyFilter kf;
    if (key_filter_init(&kf, chrome, strip) < 0) return NULL;
    Py_buffer bd, bc;
    if (get_buf(o_dup, &bd, 8, n, 1, "dup") < 0) return NULL;
    if (get_buf(o_cl, &bc, 8, n, 1, "chrome_line") < 0) {
        PyBuffer_Release(&bd);
        return NULL;
    }
    double *dup = bd.buf, *cl = bc.buf;
    PyObject *result = NULL;
    Py_ssize_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    KeyRow *rows = calloc((size_t)(n ? n : 1), sizeof(KeyRow));
    Py_ssize_t *row_of = malloc((size_t)(n ? n : 1) * sizeof(Py_ssize_t));
    Py_ssize_t *slot = malloc((size_t)cap * sizeof(Py_ssize_t));
    if (!rows || !row_of || !slot) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < cap; k++) slot[k] = -1;
    {
        Py_ssize_t len = PyUnicode_GET_LENGTH(low);
        const void *data = PyUnicode_DATA(low);
        int kind = PyUnicode_KIND(low);
        int rc = kind == PyUnicode_1BYTE_KIND
                     ? line_keys_1(low, (const Py_UCS1 *)data, len, n, chrome, strip, max_len, &kf, rows, row_of, slot,
                                   cap, cl)
                 : kind == PyUnicode_2BYTE_KIND
                     ? line_keys_2(low, (const Py_UCS2 *)data, len, n, chrome, strip, max_len, &kf, rows, row_of, slot,
                                   cap, cl)
                     : line_keys_4(low, (const Py_UCS4 *)data, len, n, chrome, strip, max_len, &kf, rows, row_of, slot,
                                   cap, cl);
        if (rc < 0) goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) dup[i] = (double)rows[row_of[i]].count - 1.0;
    result = PyLong_FromSsize_t(n);
done:
    free(rows);
    free(row_of);
    free(slot);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&bc);
    return result;
}

#ifdef CLEANER_AVX2_DISPATCH
/* add_tree_avx512 (s7) for trees of depth 6: the six levels unrolled, their thresholds broadcast
 * once per call, and each level's comparison mask merged into the leaf index as its own bit
 * (1 << (5 - level): level 0 the highest, as the shift-and-or of add_tree_avx512 builds it) instead
 * of a shift per level.  The same comparisons (_CMP_GT_OQ: false on NaN), the same leaves and one
 * addition per row per tree, in the same order: the same bits. */
__attribute__((target("avx512f"))) static void add_tree_avx512_d6(double *restrict acc, const double *const *xs,
                                                                   const double *th, const double *leaf,
                                                                   Py_ssize_t j0, Py_ssize_t m) {
    const double *x0 = xs[0] + j0, *x1 = xs[1] + j0, *x2 = xs[2] + j0, *x3 = xs[3] + j0, *x4 = xs[4] + j0,
                 *x5 = xs[5] + j0;
    const __m512d t0 = _mm512_set1_pd(th[0]), t1 = _mm512_set1_pd(th[1]), t2 = _mm512_set1_pd(th[2]),
                  t3 = _mm512_set1_pd(th[3]), t4 = _mm512_set1_pd(th[4]), t5 = _mm512_set1_pd(th[5]);
    const __m512i k0 = _mm512_set1_epi64(32), k1 = _mm512_set1_epi64(16), k2 = _mm512_set1_epi64(8),
                  k3 = _mm512_set1_epi64(4), k4 = _mm512_set1_epi64(2), k5 = _mm512_set1_epi64(1);
    Py_ssize_t j = 0;
#define D6_LEVEL(V, LIVE, OFF, X, T, K)                                                                       \
    V = _mm512_mask_or_epi64(V, _mm512_mask_cmp_pd_mask(LIVE, _mm512_maskz_loadu_pd(LIVE, X + j + OFF), T,     \
                                                        _CMP_GT_OQ), V, K)
#define D6_INDEX(V, LIVE, OFF)                                                                                 \
    D6_LEVEL(V, LIVE, OFF, x0, t0, k0);                                                                        \
    D6_LEVEL(V, LIVE, OFF, x1, t1, k1);                                                                        \
    D6_LEVEL(V, LIVE, OFF, x2, t2, k2);                                                                        \
    D6_LEVEL(V, LIVE, OFF, x3, t3, k3);                                                                        \
    D6_LEVEL(V, LIVE, OFF, x4, t4, k4);                                                                        \
    D6_LEVEL(V, LIVE, OFF, x5, t5, k5)
    for (; j + 16 <= m; j += 16) {
        __m512i v = _mm512_setzero_si512(), w = _mm512_setzero_si512();
        D6_INDEX(v, (__mmask8)0xFF, 0);
        D6_INDEX(w, (__mmask8)0xFF, 8);
        __m512d a = _mm512_add_pd(_mm512_loadu_pd(acc + j), _mm512_i64gather_pd(v, leaf, 8));
        __m512d b = _mm512_add_pd(_mm512_loadu_pd(acc + j + 8), _mm512_i64gather_pd(w, leaf, 8));
        _mm512_storeu_pd(acc + j, a);
        _mm512_storeu_pd(acc + j + 8, b);
    }
    for (; j < m; j += 8) { /* the last 1-15 rows, those past m masked off (no memory touched there) */
        __mmask8 live = m - j >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (m - j)) - 1u);
        __m512i v = _mm512_setzero_si512();
        D6_INDEX(v, live, 0);
        __m512d g = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), live, v, leaf, 8);
        _mm512_mask_storeu_pd(acc + j, live, _mm512_add_pd(_mm512_maskz_loadu_pd(live, acc + j), g));
    }
#undef D6_INDEX
#undef D6_LEVEL
}
#endif

/* rank_sort(r, n): the order qsort with by_desc_then_index gives: descending value, ties by index.
 * Without a NaN that comparison is a total order on distinct (value, index) pairs (the indices are
 * distinct), so any correct sort gives the one order qsort gives; here an inline merge sort
 * (insertion sort of runs of 16, then merges) instead of a comparator call per comparison.  With a
 * NaN (no total order) or no scratch memory: qsort itself, as before. */
#define RANK_BEFORE(x, y) (-(x).v < -(y).v || (-(x).v == -(y).v && (x).i < (y).i))
static void rank_sort(rank_t *r, Py_ssize_t n) {
    if (n < 2) return;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (r[i].v != r[i].v) {
            qsort(r, (size_t)n, sizeof(rank_t), by_desc_then_index);
            return;
        }
    }
    rank_t *tmp = n > 16 ? PyMem_Malloc((size_t)n * sizeof(rank_t)) : NULL;
    if (n > 16 && !tmp) {
        qsort(r, (size_t)n, sizeof(rank_t), by_desc_then_index);
        return;
    }
    enum { RUN = 16 };
    for (Py_ssize_t a = 0; a < n; a += RUN) {
        Py_ssize_t b = a + RUN < n ? a + RUN : n;
        for (Py_ssize_t i = a + 1; i < b; i++) {
            rank_t x = r[i];
            Py_ssize_t j = i;
            while (j > a && RANK_BEFORE(x, r[j - 1])) {
                r[j] = r[j - 1];
                j--;
            }
            r[j] = x;
        }
    }
    rank_t *src = r, *dst = tmp;
    for (Py_ssize_t width = RUN; width < n; width *= 2) {
        for (Py_ssize_t a = 0; a < n; a += 2 * width) {
            Py_ssize_t m = a + width < n ? a + width : n, b = a + 2 * width < n ? a + 2 * width : n;
            Py_ssize_t i = a, j = m, o = a;
            while (i < m && j < b) dst[o++] = RANK_BEFORE(src[j], src[i]) ? src[j++] : src[i++];
            while (i < m) dst[o++] = src[i++];
            while (j < b) dst[o++] = src[j++];
        }
        rank_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != r) memcpy(r, src, (size_t)n * sizeof(rank_t));
    PyMem_Free(tmp);
}
#undef RANK_BEFORE

/* ---- end boilerplate s8c ---- */

/* ---- language s9 ---- */
/* lid_unpack(mask, hi, lo, floor, out) -> None
 *
 * One row block of py3langid_flat.npz's naive Bayes table (cleaner.language.backends.read_flat_model):
 * out (uint16, rows x width in C order, width = len(floor)) gets, at each entry i whose bit i of mask is
 * set (bit i % 8 of byte i / 8: numpy's packbits(bitorder="little")), the next value hi[j] << 8 | lo[j],
 * and its column's floor elsewhere.  mask must be exactly ceil(n / 8) bytes for the n entries of out,
 * with no bit set past n, and hold exactly len(hi) == len(lo) set bits: anything else is a ValueError
 * (out is then partly written; the caller discards it).  Rows are filled with memcpy, then only the set
 * bits are visited (~5 ms for the 14.2M entries, 2.6M set; numpy's boolean assignment took ~28 ms).
 * The GIL is released for the loop (the loader unpacks two blocks at once). */
static PyObject *lid_unpack(PyObject *self, PyObject *args) {
    PyObject *omask, *ohi, *olo, *ofloor, *oout;
    Py_buffer bm, bh, bl, bf, bo;
    if (!PyArg_ParseTuple(args, "OOOOO", &omask, &ohi, &olo, &ofloor, &oout)) return NULL;
    if (get_buf(omask, &bm, 1, 0, 0, "lid_unpack mask") < 0) return NULL;
    if (get_buf(ohi, &bh, 1, 0, 0, "lid_unpack hi") < 0) {
        PyBuffer_Release(&bm);
        return NULL;
    }
    if (get_buf(olo, &bl, 1, 0, 0, "lid_unpack lo") < 0) {
        PyBuffer_Release(&bm);
        PyBuffer_Release(&bh);
        return NULL;
    }
    if (get_buf(ofloor, &bf, 2, 1, 0, "lid_unpack floor") < 0) {
        PyBuffer_Release(&bm);
        PyBuffer_Release(&bh);
        PyBuffer_Release(&bl);
        return NULL;
    }
    if (get_buf(oout, &bo, 2, 0, 1, "lid_unpack out") < 0) {
        PyBuffer_Release(&bm);
        PyBuffer_Release(&bh);
        PyBuffer_Release(&bl);
        PyBuffer_Release(&bf);
        return NULL;
    }
    const unsigned char *mask = bm.buf, *hi = bh.buf, *lo = bl.buf;
    const uint16_t *floor = bf.buf;
    uint16_t *out = bo.buf;
    Py_ssize_t width = bf.len / 2, n = bo.len / 2, nv = bh.len;
    const char *err = NULL;
    if (bl.len != nv) err = "lid_unpack: hi and lo of different lengths";
    else if (n % width != 0) err = "lid_unpack: out is not whole rows of len(floor)";
    else if (bm.len != n / 8 + (n % 8 != 0)) err = "lid_unpack: mask is not ceil(n / 8) bytes";
    if (!err) {
        Py_ssize_t j = 0;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t r = 0; r < n; r += width) memmove(out + r, floor, (size_t)width * 2); /* defined if floor overlaps out */
        for (Py_ssize_t q = 0; q < bm.len && !err; q++) {
            unsigned int b = mask[q];
            while (b) {
                Py_ssize_t i = q * 8 + lex_ctz64(b);
                if (i >= n || j >= nv) {
                    err = i >= n ? "lid_unpack: a mask bit past the entries" : "lid_unpack: more mask bits than values";
                    break;
                }
                out[i] = (uint16_t)((unsigned int)hi[j] << 8 | lo[j]);
                j++;
                b &= b - 1;
            }
        }
        if (!err && j != nv) err = "lid_unpack: fewer mask bits than values";
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&bm);
    PyBuffer_Release(&bh);
    PyBuffer_Release(&bl);
    PyBuffer_Release(&bf);
    PyBuffer_Release(&bo);
    if (err) {
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    Py_RETURN_NONE;
}
/* ---- end language s9 ---- */

static PyMethodDef methods[] = {
    {"char_pass", char_pass, METH_VARARGS,
     "Per-line class counts, first/last characters and word runs of a page, and the page lower-cased (s7)."},
    {"token_columns", token_columns, METH_VARARGS, "Token ids, vocabulary counts per line and content words."},
    {"forest_raw", forest_raw, METH_VARARGS, "Log-odds of oblivious trees over column blocks."},
    {"score_context", score_context, METH_VARARGS, "The second pass's score-context columns."},
    {"context", context, METH_VARARGS, "The neighbour columns of the line features."},
    {"line_shapes", line_shapes, METH_VARARGS, "CJK counts and paragraph shape of every line."},
    {"cnn_encode", cnn_encode, METH_VARARGS, "Token codes of the garble sentence CNN (padded arrays)."},
    {"cnn_embed", cnn_embed, METH_VARARGS, "Token rows of the garble CNN: word, shape and trigram embeddings."},
    {"cnn_window", cnn_window, METH_VARARGS, "The width-3 convolution input rows of the garble CNN."},
    {"cnn_pool", cnn_pool, METH_VARARGS, "Mean and max pooling per sentence of the garble CNN."},
    {"vec_tokenize", vec_tokenize, METH_VARARGS, "Tokens and token hashes of the garble featuriser."},
    {"vec_ngrams", vec_ngrams, METH_VARARGS, "Salted n-gram hashes of the garble featuriser."},
    {"vec_keys", vec_keys, METH_VARARGS, "Sorted unique sparse feature keys of the garble featuriser."},
    {"vec_token_ngrams", vec_token_ngrams, METH_VARARGS, "Word and skeleton n-gram hashes of the garble featuriser."},
    {"vec_lookup", vec_lookup, METH_VARARGS, "Positions of fingerprints in a sorted table (bucketed binary search)."},
    {"vec_skeleton", vec_skeleton, METH_VARARGS, "Skeleton token values of the garble featuriser."},
    {"vec_dense_en", vec_dense_en, METH_VARARGS, "English dense feature columns of the garble featuriser."},
    {"sig_heads", sig_heads, METH_VARARGS, "Whether consecutive words may be a tortured phrase's head (hashed)."},
    {"sig_needles", sig_needles, METH_VARARGS, "Which of some ASCII strings occur in a text (one pass)."},
    {"sig_heads_text", sig_heads_text, METH_VARARGS, "sig_heads of a str's ASCII letter words, with a bitmap prefilter (garble s7)."},
    {"vec_encode", vec_encode, METH_VARARGS, "The joined code points, lower case, owners and offsets of sentences (garble s7)."},
    {"literal_hits", literal_hits, METH_VARARGS, "Every occurrence of each of several literals (boilerplate s6)."},
    {"new_frozen", new_frozen, METH_VARARGS, "Instances of a frozen dataclass from columns (boilerplate s6)."},
    {"lang_judge", lang_judge, METH_VARARGS, "Function-word decisions for ASCII lines (language s7)."},
    {"lang_lines", lang_lines, METH_VARARGS, "Lines, script counts per line and ASCII-letter flags of a page (language s7)."},
    {"ft_model", ft_model, METH_VARARGS, "A fastText lid.176 model for ft_predict (language s7)."},
    {"ft_predict", ft_predict, METH_VARARGS, "fastText lid.176 top-k labels and probabilities (language s7)."},
    {"lexicon_lines", lexicon_lines, METH_VARARGS, "The lines a whole-line rule can match (boilerplate s7)."},
    {"label_codes", label_codes, METH_VARARGS, "Each label's index among some names (boilerplate s8a)."},
    {"fill_rows", fill_rows, METH_VARARGS, "Set some rows of some lists to one value each (boilerplate s8a)."},
    {"join_kept", join_kept, METH_VARARGS, "The kept lines of a page, joined as the stage joins them (boilerplate s8a)."},
    {"expected_f", expected_f, METH_VARARGS, "The expected-F keep of a page's line scores (boilerplate s8a)."},
    {"vocab_filter", vocab_filter, METH_VARARGS, "token_columns' bitmap of the vocabulary's words (boilerplate s8a)."},
    {"line_keys2", line_keys2, METH_VARARGS, "Repeated lines and UI-label lines of a page, by text kind (boilerplate s8c)."},
    {"lin_prep", lin_prep, METH_VARARGS, "Sparse sums and standardised dense rows of the garble linear model (garble s7b)."},
    {"cnn_relu_window", cnn_relu_window, METH_VARARGS, "Bias, ReLU and convolution windows of the garble CNN (garble s7b)."},
    {"cnn_relu_pool", cnn_relu_pool, METH_VARARGS, "Bias, ReLU, residual and pooling of the garble CNN (garble s7b)."},
    {"bnd_next", bnd_next, METH_VARARGS, "The end of the garble sampler's next sentence boundary (garble s8b)."},
    {"bnd_pieces", bnd_pieces, METH_VARARGS, "The non-blank pieces between the garble sampler's boundaries (garble s8b)."},
    {"lin_stack", lin_stack, METH_VARARGS, "The English garble sentence logits from their products (garble s7b)."},
    {"unl_best", unl_best, METH_VARARGS, "The highest-weight word bigram of each driving garble sentence (garble s8)."},
    {"cp_scan", cp_scan, METH_VARARGS, "Positions of mojibake triggers (characters and pairs) in a str (language s8)."},
    {"cp_count", cp_count, METH_VARARGS, "Characters of a str span per flag bit of a code-point table (language s8)."},
    {"lid_states", lid_states, METH_VARARGS, "py3langid automaton states of a byte string, by longest suffix (language s8)."},
    {"lid_unpack", lid_unpack, METH_VARARGS, "A sparse row block of py3langid_flat.npz into its table (language s9)."},
    {"lang_sample", lang_sample, METH_VARARGS, "The document sample's lines (longest first, within a limit) as spans (language s8)."},
    {"related_tokens", related_tokens, METH_VARARGS, "The topical tokens of a lower-cased text (boilerplate s8b)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "Compiled kernels of the language, boilerplate and garble stages.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&module);
    if (m && (PyModule_AddIntConstant(m, "ABI", CLEANER_NATIVE_ABI) < 0 ||
              PyModule_AddIntConstant(m, "GARBLE_ABI", CLEANER_GARBLE_ABI) < 0 ||
              PyModule_AddIntConstant(m, "LANGUAGE_ABI", CLEANER_LANGUAGE_ABI) < 0 ||
              PyModule_AddIntConstant(m, "BP_RULES_ABI", CLEANER_BP_RULES_ABI) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
