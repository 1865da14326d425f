#define _GNU_SOURCE
#include "ReadAheadRing.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One reader thread fills a ring of buffers in piece order; the caller takes them in the same
   order. The thread owns a slot from the moment it starts reading it until it is full; the
   caller owns it from next() until release(). */
struct xen2kvm_ring {
    int fd;
    xen2kvm_piece *pieces;
    size_t count, slots, slot_bytes, advise_bytes;
    unsigned char *memory;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t filled;   /* pieces read so far (the reader's position) */
    size_t taken;    /* pieces released by the caller */
    int error;       /* errno of a failed read, or -1: the source ended early */
    size_t failed_at;
    int stop;
};

static int read_fully(int fd, unsigned char *buffer, size_t length, uint64_t offset) {
    size_t got = 0;
    while (got < length) {
        ssize_t n = pread(fd, buffer + got, length - got, (off_t)(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return -1;
        got += (size_t)n;
    }
    return 0;
}

static void *reader(void *argument) {
    struct xen2kvm_ring *ring = argument;
    size_t advised = 0;      /* pieces advised so far */
    uint64_t ahead = 0;      /* bytes of pieces advised but not yet read */
    for (size_t index = 0; index < ring->count; index++) {
        pthread_mutex_lock(&ring->lock);
        while (!ring->stop && index - ring->taken >= ring->slots) pthread_cond_wait(&ring->changed, &ring->lock);
        int stop = ring->stop;
        pthread_mutex_unlock(&ring->lock);
        if (stop) break;
        /* Keep advise_bytes of the coming pieces asked for (WILLNEED), so the disk has many
           reads queued, also across the gaps between used-block runs, which the kernel's
           sequential read-ahead does not cross. */
        while (advised < ring->count && ahead < ring->advise_bytes) {
            posix_fadvise(ring->fd, (off_t)ring->pieces[advised].offset, (off_t)ring->pieces[advised].length,
                          POSIX_FADV_WILLNEED);
            ahead += ring->pieces[advised].length;
            advised++;
        }
        xen2kvm_piece piece = ring->pieces[index];
        if (advised > index) ahead -= piece.length;
        int result = read_fully(ring->fd, ring->memory + (index % ring->slots) * ring->slot_bytes, piece.length,
                                piece.offset);
        pthread_mutex_lock(&ring->lock);
        if (result != 0) {
            ring->error = result;
            ring->failed_at = index;
        } else {
            ring->filled = index + 1;
        }
        pthread_cond_broadcast(&ring->changed);
        pthread_mutex_unlock(&ring->lock);
        if (result != 0) break;
    }
    return NULL;
}

xen2kvm_ring *xen2kvm_ring_start(int fd, const xen2kvm_piece *pieces, size_t count, size_t slots,
                                 size_t slot_bytes, size_t alignment, size_t advise_bytes) {
    struct xen2kvm_ring *ring = calloc(1, sizeof *ring);
    if (!ring) return NULL;
    ring->fd = fd;
    ring->count = count;
    ring->slots = slots;
    ring->slot_bytes = slot_bytes;
    ring->advise_bytes = advise_bytes;
    ring->pieces = malloc(count ? count * sizeof *pieces : 1);
    if (!ring->pieces || posix_memalign((void **)&ring->memory, alignment, slots * slot_bytes) != 0) {
        free(ring->pieces);
        free(ring);
        return NULL;
    }
    if (count) memcpy(ring->pieces, pieces, count * sizeof *pieces);
    pthread_mutex_init(&ring->lock, NULL);
    pthread_cond_init(&ring->changed, NULL);
    if (pthread_create(&ring->thread, NULL, reader, ring) != 0) {
        pthread_mutex_destroy(&ring->lock);
        pthread_cond_destroy(&ring->changed);
        free(ring->memory);
        free(ring->pieces);
        free(ring);
        return NULL;
    }
    return ring;
}

int xen2kvm_ring_next(xen2kvm_ring *ring, void **buffer) {
    pthread_mutex_lock(&ring->lock);
    size_t index = ring->taken;
    while (ring->filled <= index && !(ring->error && ring->failed_at == index))
        pthread_cond_wait(&ring->changed, &ring->lock);
    int error = ring->filled > index ? 0 : ring->error;
    pthread_mutex_unlock(&ring->lock);
    *buffer = ring->memory + (index % ring->slots) * ring->slot_bytes;
    return error;
}

void xen2kvm_ring_release(xen2kvm_ring *ring) {
    pthread_mutex_lock(&ring->lock);
    ring->taken++;
    pthread_cond_broadcast(&ring->changed);
    pthread_mutex_unlock(&ring->lock);
}

void xen2kvm_ring_stop(xen2kvm_ring *ring) {
    pthread_mutex_lock(&ring->lock);
    ring->stop = 1;
    pthread_cond_broadcast(&ring->changed);
    pthread_mutex_unlock(&ring->lock);
    pthread_join(ring->thread, NULL);
    pthread_mutex_destroy(&ring->lock);
    pthread_cond_destroy(&ring->changed);
    free(ring->memory);
    free(ring->pieces);
    free(ring);
}
