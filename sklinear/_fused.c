/* A fused minibatch pass for sklinear's linear classifiers.
 *
 * One SGD step needs the scores S = X_b W^T, the loss and dS, and the
 * gradient dS^T X_b. As two BLAS products this reads the batch X_b from
 * memory twice and packs it twice, and with a handful of classes the products
 * are too skinny for BLAS to reach its peak rate. Here each group of 8 rows
 * is read from memory once: its scores, then its loss and dscores, then its
 * gradient, while the rows are still in cache. Rows longer than 16 KB are
 * taken in tiles of that size, so that the group's tiles stay in L2 cache
 * next to the matching part of W.
 *
 * Threads and reproducibility: the batch is cut into blocks of rows whose
 * boundaries depend only on the shape of the problem (plan_batch). Each block
 * sums into its own buffer, and the blocks are added up in block order, so the
 * loss and gradients are bit-identical for any number of threads. A batch of
 * one block is shared differently (split mode): the threads compute the
 * scores of its rows, then the gradient of its features, each element with
 * the same operations in the same order as one thread would. The
 * caller's thread and helpers from a pool of POSIX threads (started once,
 * asleep between calls, rebuilt empty in a forked child) claim blocks one
 * at a time. Their number is at most the thread limit,
 * which defaults to the CPUs this process may use (at most OMP_NUM_THREADS
 * when set) and is read and set through sklinear_fused_get_num_threads and
 * sklinear_fused_set_num_threads (threadpoolctl calls these).
 *
 * The boundary: loss_gradient takes its arrays through the buffer protocol
 * and checks dtypes, shapes, strides, alignment, overlap of the outputs and
 * every label before anything is computed (_fused_check.h), then computes
 * with the GIL released. The kernels use GCC vector extensions: 32-byte
 * vectors, compiled for AVX2 + FMA where the CPU has them and for the
 * baseline otherwise.
 */
#define PY_SSIZE_T_CLEAN
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity */
#endif
#include <Python.h>

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "_simd.h" /* the x86 switch, the CPU check, float64 vectors */

#if SKLINEAR_X86
#define SKLINEAR_PAUSE() __builtin_ia32_pause()
#else
#define SKLINEAR_PAUSE() __asm__ __volatile__("" ::: "memory")
#endif

#define SKLINEAR_HINGE 0
#define SKLINEAR_SOFTMAX 1
#define SKLINEAR_MAX_THREADS 256
#define SKLINEAR_MAX_CLASSES 64
#ifndef GROUP_ROWS /* (these three overridable for experiments) */
#define GROUP_ROWS 8
#endif
#ifndef K_TILE_BYTES
#define K_TILE_BYTES 16384
#endif
/* Blocks of rows: a block's extra cost is zeroing its partial gradient and
 * adding that to the total, about 1 to 5% of its work with at least
 * MIN_BLOCK_ROWS rows and MIN_BLOCK_WORK multiply-adds (rows x features x
 * classes); at most MAX_BLOCKS blocks per batch. */
#ifndef MIN_BLOCK_ROWS
#define MIN_BLOCK_ROWS 128
#endif
#ifndef MIN_BLOCK_WORK
#define MIN_BLOCK_WORK (1 << 20)
#endif
#define MAX_BLOCKS 1024
/* Another thread only for each MIN_THREAD_WORK float32 multiply-adds of the
 * batch (a float64 one counts as two): about 70 us of work on one thread,
 * well above the tens of microseconds that waking a helper can cost on a
 * busy 2-CPU VM (at 4 times this, 2,048 x 500 x 5 and 666 x 500 x 16
 * batches ran on one thread, and two took 0.56x and 0.57x its time). */
#ifndef MIN_THREAD_WORK
#define MIN_THREAD_WORK (1 << 20)
#endif
/* Split mode: a batch of a single block (a few rows, e.g. 32 x 3,072 x
 * 48) still has threads, one for each SPLIT_THREAD_WORK multiply-adds, that
 * share its rows, then its features (split_work), in items of
 * SPLIT_ITEM_ROWS rows and of at least SPLIT_ITEM_FEATURES features (a
 * multiple of every vector width, so that the same elements as in a whole
 * pass fall in the vectors' scalar tail). */
#ifndef SPLIT_THREAD_WORK
#define SPLIT_THREAD_WORK (1 << 20)
#endif
#define SPLIT_ITEM_ROWS GROUP_ROWS
#define SPLIT_ITEM_FEATURES 64
/* Buffers for partial results: one on one thread (each block is added up as
 * soon as it is done); with more threads, one per block up to SLOT_BYTES in
 * all (and at least 2 per thread), so that a thread that is ahead, e.g.
 * while another waits for a busy CPU, never waits for a buffer. */
#define SLOTS_PER_THREAD 2
#define SLOT_BYTES (32 << 20)
/* Every row of dscores sums to zero over the classes (both losses depend only
 * on differences of scores), so the gradient's last row is minus the sum of
 * the others: the pass computes C - 1 rows (for C = 10 that is 3 + 3 + 3
 * classes, all in the fastest blocks). */
#define GRADIENT_ROWS(C) ((C) > 1 ? (C) - 1 : (C))


/* One call: the checked inputs (contiguous labels and factors, any row
 * strides for X and W), the outputs, the block schedule and its state. */
struct batch {
    const void *X, *W, *shift, *factors;
    const ptrdiff_t *y;
    ptrdiff_t x_stride, w_stride; /* in elements */
    ptrdiff_t n_rows, n_features, n_classes;
    int loss_kind;
    double margin;
    void *grad_W, *grad_b;
    void *memory; /* SAGA's memory of dscores (n_rows x C), or NULL */
    ptrdiff_t block_rows, n_blocks;
    int n_threads;
    /* Shared by the threads, under `lock`. */
    pthread_mutex_t lock;
    pthread_cond_t freed;
    ptrdiff_t next_block, committed;
    int folding; /* a thread is adding up blocks (see finish_block) */
    void *slots; /* partial results of C * F + C elements, slot_size apart */
    ptrdiff_t slot_size;
    int n_free, free_slots[MAX_BLOCKS];
    signed char done[MAX_BLOCKS];
    short slot_of[MAX_BLOCKS];
    double loss_of[MAX_BLOCKS], loss;
    /* Split mode (split_work): row_items items of SPLIT_ITEM_ROWS rows,
     * then feature_items items of item_features features. */
    int split;
    ptrdiff_t row_items, item_features, feature_items;
    ptrdiff_t next_item, completed; /* atomics */
    void *split_ds;   /* dscores, rows padded to a whole group */
    double *row_loss; /* losses, by row */
};

/* The first row of block i (n_rows for i = n_blocks): blocks of about
 * n_rows / n_blocks rows, starting on whole groups of rows. */
static inline ptrdiff_t block_begin(const struct batch *b, ptrdiff_t i)
{
    if (i >= b->n_blocks)
        return b->n_rows;
    return i * b->n_rows / b->n_blocks / GROUP_ROWS * GROUP_ROWS;
}

/* Takes the next block, and a slot for it unless it is block 0 (which sums
 * into grad_W). Block and slot are taken together: the oldest block not yet
 * added up then always has a slot and is being computed, so a thread that
 * waits here for a slot is always woken. Returns 0 when no block is left. */
static int claim_block(struct batch *b, ptrdiff_t *block, int *slot)
{
    pthread_mutex_lock(&b->lock);
    while (b->next_block > 0 && b->next_block < b->n_blocks && b->n_free == 0)
        pthread_cond_wait(&b->freed, &b->lock);
    int more = b->next_block < b->n_blocks;
    if (more) {
        *block = b->next_block++;
        *slot = *block == 0 ? -1 : b->free_slots[--b->n_free];
    }
    pthread_mutex_unlock(&b->lock);
    return more;
}

/* Records a computed block, then adds up, in block order, every block that
 * is computed and whose predecessors are all added up. One thread at a time
 * adds up (`folding`), and it does so outside the lock: a fold reads and
 * writes a whole gradient, and under the lock it would stall every other
 * thread that finishes or claims a block meanwhile. */
static void finish_block(struct batch *b, ptrdiff_t block, int slot,
                         double loss, void (*fold)(struct batch *, int))
{
    pthread_mutex_lock(&b->lock);
    b->done[block] = 1;
    b->slot_of[block] = (short)slot;
    b->loss_of[block] = loss;
    if (!b->folding) {
        b->folding = 1;
        while (b->committed < b->n_blocks && b->done[b->committed]) {
            const ptrdiff_t next = b->committed;
            const int next_slot = b->slot_of[next];
            b->loss += b->loss_of[next];
            if (next_slot >= 0) {
                pthread_mutex_unlock(&b->lock);
                fold(b, next_slot);
                pthread_mutex_lock(&b->lock);
                b->free_slots[b->n_free++] = next_slot;
                pthread_cond_broadcast(&b->freed);
            }
            b->committed++;
        }
        b->folding = 0;
    }
    pthread_mutex_unlock(&b->lock);
}

/* Waits until `count` items of a split batch are complete. Items are claimed
 * in order and each waits only for the items before its phase, which are
 * claimed, so running: the wait is short, and it spins (yielding the CPU
 * after a while, in case the thread it waits for shares this one). */
static void wait_for_items(struct batch *b, ptrdiff_t count)
{
    for (long spins = 0;
         __atomic_load_n(&b->completed, __ATOMIC_ACQUIRE) < count; spins++) {
        if (spins < 4096)
            SKLINEAR_PAUSE();
        else
            sched_yield();
    }
}

typedef float vf32 __attribute__((vector_size(32)));
typedef float vf32u __attribute__((vector_size(32), aligned(4), may_alias));
/* vf64, vf64u from _simd.h; LOAD and STORE are defined per dtype below. */
#undef LOAD
#undef STORE

/* float32, baseline instruction set */
#define KEEP_IN_REGISTER(v) ((void)0)
#define REAL float
#define VEC vf32
#define LANES 8
#define LOAD(p) (*(const vf32u *)(p))
#define STORE(p, v) (*(vf32u *)(p) = (v))
#define LOG logf
#define LOG_TINY (-87.33654475f) /* log of FLT_MIN */
#define VECI vi32
#define VEXP_SINGLE 1
#define TARGET
#define SUFFIX(name) name##_f32
#include "_fused_impl.h"
#if SKLINEAR_X86
#undef TARGET
#undef SUFFIX
#define TARGET __attribute__((target("avx2,fma")))
#undef KEEP_IN_REGISTER /* a vector in an AVX register (_fused_direct.h) */
#define KEEP_IN_REGISTER(v) __asm__("" : "+x"(v))
#define SUFFIX(name) name##_f32_avx2
#include "_fused_impl.h"
#endif
#undef REAL
#undef KEEP_IN_REGISTER
#undef VEC
#undef LANES
#undef LOAD
#undef STORE
#undef LOG
#undef LOG_TINY
#undef VECI
#undef VEXP_SINGLE
#undef TARGET
#undef SUFFIX

/* float64 */
#define KEEP_IN_REGISTER(v) ((void)0)
#define REAL double
#define VEC vf64
#define LANES 4
#define LOAD(p) (*(const vf64u *)(p))
#define STORE(p, v) (*(vf64u *)(p) = (v))
#define LOG log
#define LOG_TINY (-708.3964185322641) /* log of DBL_MIN */
#define VECI vi64
#define TARGET
#define SUFFIX(name) name##_f64
#include "_fused_impl.h"
#if SKLINEAR_X86
#undef TARGET
#undef SUFFIX
#define TARGET __attribute__((target("avx2,fma")))
#undef KEEP_IN_REGISTER /* a vector in an AVX register (_fused_direct.h) */
#define KEEP_IN_REGISTER(v) __asm__("" : "+x"(v))
#define SUFFIX(name) name##_f64_avx2
#include "_fused_impl.h"
#endif

/* The kernels for one dtype: a thread's work and the last gradient row. */
struct kernels {
    void *(*work)(void *);
    void *(*split_work)(void *);
    void (*last_row)(struct batch *);
};

/* Chosen once, at import: [0] float32, [1] float64. */
static struct kernels kernels[2] = {
    {work_f32, split_work_f32, last_row_f32},
    {work_f64, split_work_f64, last_row_f64},
};

static void choose_kernels(void)
{
#if SKLINEAR_X86
    if (cpu_has_avx2_fma()) {
        kernels[0] = (struct kernels){work_f32_avx2, split_work_f32_avx2,
                                      last_row_f32_avx2};
        kernels[1] = (struct kernels){work_f64_avx2, split_work_f64_avx2,
                                      last_row_f64_avx2};
    }
#endif
}

/* ------------------------------------------------------------------------
 * The thread limit. */

static int thread_limit = 1;            /* set at import, see default_limit */
static __thread int last_num_threads;   /* of this thread's last call */

int sklinear_fused_get_num_threads(void)
{
    return __atomic_load_n(&thread_limit, __ATOMIC_RELAXED);
}

/* Sets the limit, clipped to [1, SKLINEAR_MAX_THREADS]; returns the old one. */
int sklinear_fused_set_num_threads(int n_threads)
{
    n_threads = n_threads < 1 ? 1 : n_threads;
    if (n_threads > SKLINEAR_MAX_THREADS)
        n_threads = SKLINEAR_MAX_THREADS;
    return __atomic_exchange_n(&thread_limit, n_threads, __ATOMIC_RELAXED);
}

/* The CPUs this process may use, at most OMP_NUM_THREADS when that is set to
 * a positive number: the limit scikit-learn's compiled code follows, and the
 * one joblib sets in its workers so that they do not oversubscribe the CPUs. */
static int default_limit(void)
{
    long n_cpus = 0;
#ifdef __linux__
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof(mask), &mask) == 0)
        n_cpus = CPU_COUNT(&mask);
#endif
    if (n_cpus < 1)
        n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (n_cpus < 1)
        n_cpus = 1;
    const char *omp = getenv("OMP_NUM_THREADS");
    if (omp != NULL) {
        char *end;
        long limit = strtol(omp, &end, 10); /* "4,2" (nested levels): 4 */
        if (end != omp && limit > 0 && limit < n_cpus)
            n_cpus = limit;
    }
    return n_cpus > SKLINEAR_MAX_THREADS ? SKLINEAR_MAX_THREADS : (int)n_cpus;
}

/* Split mode for a batch of one block with work for more than one thread:
 * its items depend on the shape alone (and the thread count does not change
 * the bits either way, see split_work). */
static void plan_split(struct batch *b, ptrdiff_t work)
{
    const ptrdiff_t F = b->n_features;
    ptrdiff_t n_threads = work / SPLIT_THREAD_WORK;
    if (n_threads > sklinear_fused_get_num_threads())
        n_threads = sklinear_fused_get_num_threads();
    b->split = b->n_blocks == 1 && n_threads > 1 && F > 0;
    if (!b->split)
        return;
    b->n_threads = (int)n_threads;
    b->row_items = (b->n_rows + SPLIT_ITEM_ROWS - 1) / SPLIT_ITEM_ROWS;
    /* about 4 feature items per thread */
    ptrdiff_t features = (F + 4 * n_threads - 1) / (4 * n_threads);
    features = (features + SPLIT_ITEM_FEATURES - 1) / SPLIT_ITEM_FEATURES
               * SPLIT_ITEM_FEATURES;
    b->item_features = features;
    b->feature_items = (F + features - 1) / features;
}

/* Block boundaries from the shape alone (never from the thread count); at
 * most one thread per block and per MIN_THREAD_WORK. An even number of
 * blocks of about equal size (block_begin), so that two threads end
 * together rather than one waiting for the other's last block. */
static void plan_batch(struct batch *b, size_t item)
{
    const ptrdiff_t per_row = b->n_features * b->n_classes;
    ptrdiff_t rows = MIN_BLOCK_ROWS;
    ptrdiff_t by_work = MIN_BLOCK_WORK / (per_row > 0 ? per_row : 1);
    ptrdiff_t by_count = (b->n_rows + MAX_BLOCKS - 1) / MAX_BLOCKS;
    rows = rows > by_work ? rows : by_work;
    rows = rows > by_count ? rows : by_count;
    rows = (rows + GROUP_ROWS - 1) / GROUP_ROWS * GROUP_ROWS;
    b->n_blocks = (b->n_rows + rows - 1) / rows;
    b->n_blocks -= b->n_blocks > 1 && b->n_blocks % 2; /* fewer, longer */
    b->block_rows = b->n_blocks > 0 ? (b->n_rows + b->n_blocks - 1) / b->n_blocks
                                    : rows;
    const ptrdiff_t work = b->n_rows * per_row * (ptrdiff_t)(item / 4);
    ptrdiff_t n_threads = work / MIN_THREAD_WORK;
    n_threads = n_threads < b->n_blocks ? n_threads : b->n_blocks;
    n_threads = n_threads < sklinear_fused_get_num_threads()
                    ? n_threads : sklinear_fused_get_num_threads();
    b->n_threads = n_threads > 1 ? (int)n_threads : 1;
    plan_split(b, work);
}

/* How many partial results to hold at once (see SLOT_BYTES). */
static ptrdiff_t slot_count(const struct batch *b, size_t slot_bytes)
{
    ptrdiff_t n = b->n_threads == 1 ? 1 : (ptrdiff_t)(SLOT_BYTES / slot_bytes);
    if (b->n_threads > 1 && n < SLOTS_PER_THREAD * b->n_threads)
        n = SLOTS_PER_THREAD * b->n_threads;
    return n < b->n_blocks - 1 ? n : b->n_blocks - 1;
}

/* ------------------------------------------------------------------------
 * The pool of helper threads.
 *
 * Helpers are started when a call first wants them and then sleep between
 * calls, so that a call does not pay for creating and joining threads (tens
 * of microseconds each on a quiet VM, far more on a busy one). One call at a
 * time uses the pool; a call that finds it busy (another Python thread's
 * call) runs on its own thread, with the same result. A helper that wakes
 * after the caller has finished every block never touches that batch: the
 * caller closes the job and waits only for the helpers that took it. In a
 * forked child the helpers do not exist, so the child starts with an empty
 * pool (pool_after_fork_child). Helpers block all signals, which stay with
 * the interpreter's threads. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    int n_helpers, busy, wanted, joined, running;
    unsigned long generation; /* of the last job; helpers take each once */
    struct batch *job;        /* the open job, NULL when there is none */
    void *(*work)(void *);
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .idle = PTHREAD_COND_INITIALIZER};

static void *pool_helper(void *unused)
{
    unsigned long seen = 0;
    (void)unused;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.job == NULL || pool.generation == seen
               || pool.joined >= pool.wanted)
            pthread_cond_wait(&pool.wake, &pool.lock);
        seen = pool.generation;
        struct batch *job = pool.job;
        void *(*work)(void *) = pool.work;
        pool.joined++;
        pool.running++;
        pthread_mutex_unlock(&pool.lock);
        work(job);
        pthread_mutex_lock(&pool.lock);
        if (--pool.running == 0)
            pthread_cond_broadcast(&pool.idle);
    }
    return NULL;
}

/* Starts helpers until there are `wanted` (under pool.lock); returns how
 * many there are. */
static int pool_grow(int wanted)
{
    pthread_attr_t attr;
    sigset_t all, saved;
    pthread_t thread;
    if (pool.n_helpers >= wanted)
        return pool.n_helpers;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The kernels keep GROUP_ROWS x classes vectors on the stack. */
    pthread_attr_setstacksize(&attr, 1 << 20);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved); /* inherited by helpers */
    while (pool.n_helpers < wanted
           && pthread_create(&thread, &attr, pool_helper, NULL) == 0)
        pool.n_helpers++;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    pthread_attr_destroy(&attr);
    return pool.n_helpers;
}

/* Runs work(b) on the caller's thread and up to `wanted` helpers; returns
 * the number of helpers asked to join (0 when the pool is busy). */
static int pool_run(struct batch *b, void *(*work)(void *), int wanted)
{
    int helpers = 0, owner = 0;
    if (wanted < 1) {
        work(b);
        return 0;
    }
    pthread_mutex_lock(&pool.lock);
    if (!pool.busy) {
        pool.busy = owner = 1;
        helpers = pool_grow(wanted);
        helpers = helpers < wanted ? helpers : wanted;
        pool.job = b;
        pool.work = work;
        pool.wanted = helpers;
        pool.joined = 0;
        pool.generation++;
        pthread_cond_broadcast(&pool.wake);
    }
    pthread_mutex_unlock(&pool.lock);
    work(b);
    if (owner) {
        pthread_mutex_lock(&pool.lock);
        pool.job = NULL;
        while (pool.running > 0)
            pthread_cond_wait(&pool.idle, &pool.lock);
        pool.busy = 0;
        pthread_mutex_unlock(&pool.lock);
    }
    return helpers;
}

/* fork() while a helper or another call holds pool.lock would leave it
 * locked in the child: fork waits for it (prepare), and the child starts
 * with no helpers and no job. */
static void pool_before_fork(void) { pthread_mutex_lock(&pool.lock); }
static void pool_after_fork_parent(void) { pthread_mutex_unlock(&pool.lock); }
static void pool_after_fork_child(void)
{
    pthread_mutex_unlock(&pool.lock); /* locked by this thread, in prepare */
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.idle, NULL);
    pool.n_helpers = pool.busy = pool.wanted = pool.joined = pool.running = 0;
    pool.job = NULL;
}

static void pool_install_fork_handlers(void)
{
    pthread_atfork(pool_before_fork, pool_after_fork_parent,
                   pool_after_fork_child);
}
static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

/* Runs the batch on b->n_threads threads (fewer if the pool is busy or
 * cannot start helpers: the others then take their blocks). The caller's
 * thread is one of them. Returns the number of threads, -1 without memory. */
static int run_split_batch(struct batch *b, const struct kernels *k,
                           size_t item)
{
    const size_t rows = (size_t)b->n_rows + GROUP_ROWS; /* + padding */
    int helpers = -1;
    b->split_ds = malloc(rows * (size_t)b->n_classes * item);
    b->row_loss = malloc(rows * sizeof(double));
    if (b->split_ds != NULL && b->row_loss != NULL) {
        helpers = pool_run(b, k->split_work, b->n_threads - 1);
        k->last_row(b);
    }
    free(b->split_ds);
    free(b->row_loss);
    return helpers < 0 ? -1 : helpers + 1;
}

static int run_batch(struct batch *b, const struct kernels *k, size_t item)
{
    if (b->split)
        return run_split_batch(b, k, item);
    /* Slots start on cache lines, as numpy's grad_W does: a misaligned
     * partial gradient makes the vector stores of the kernels split lines. */
    const size_t size = ((size_t)(b->n_classes * b->n_features + b->n_classes)
                         * item + 63) / 64 * 64;
    const ptrdiff_t n_slots = slot_count(b, size);
    b->slot_size = (ptrdiff_t)(size / item);
    b->slots = NULL;
    if (n_slots > 0 && posix_memalign(&b->slots, 64, size * (size_t)n_slots))
        return -1;
    for (b->n_free = 0; b->n_free < n_slots; b->n_free++)
        b->free_slots[b->n_free] = b->n_free;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->freed, NULL);
    const int helpers = pool_run(b, k->work, b->n_threads - 1);
    pthread_cond_destroy(&b->freed);
    pthread_mutex_destroy(&b->lock);
    free(b->slots);
    k->last_row(b);
    return helpers + 1;
}

/* ------------------------------------------------------------------------
 * The Python boundary. */

#include "_fused_check.h" /* the checks, then the module's functions */
