// SPDX-License-Identifier: MIT
/* wc - count the lines, words and bytes of files, like Unix wc: one line
 * per file ("lines words bytes name") and a total when there are several.
 * Files are read through the VFS session the shell gave it ("vfs") in
 * 16 KiB pieces, so the reads go through memory grants (VFS_READ_GRANT,
 * vfs_client.c); output goes to the "console". Exit code 1 if a file could
 * not be read. */
#include "mos_lib.h"
#include "console_client.h"
#include "vfs_client.h"

#define CHUNK (16u * 1024u)

struct counts {
    uint64_t lines, words, bytes;
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Count one file into *cnt; 0 or -MOS_E*. */
static long count_file(const char *path, char *buf, struct counts *cnt)
{
    long h = vfs_open(path, VFS_O_READ);
    if (h < 0)
        return h;
    bool in_word = false;
    uint64_t off = 0;
    long n;
    while ((n = vfs_read(h, off, buf, CHUNK)) > 0) {
        for (long i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)buf[i];
            if (ch == '\n')
                cnt->lines++;
            if (is_space(ch)) {
                in_word = false;
            } else if (!in_word) {
                in_word = true;
                cnt->words++;
            }
        }
        off += (uint64_t)n;
    }
    cnt->bytes = off;
    (void)vfs_close(h);
    return n < 0 ? n : 0;
}

static void show(const struct counts *c, const char *name)
{
    printf("%7llu %7llu %7llu %s\n", (unsigned long long)c->lines, (unsigned long long)c->words,
           (unsigned long long)c->bytes, name);
}

int main(int argc, char **argv)
{
    if (con_init() == 0)
        con_use_for_stdout();
    if (argc < 2) {
        printf("usage: wc FILE...\n");
        return 2;
    }
    long r = vfs_init();
    if (r < 0) {
        printf("wc: no VFS: %s\n", mos_strerror(r));
        return 1;
    }
    char *buf = malloc(CHUNK);
    if (!buf) {
        printf("wc: out of memory\n");
        return 1;
    }
    struct counts total = { 0, 0, 0 };
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct counts c = { 0, 0, 0 };
        r = count_file(argv[i], buf, &c);
        if (r < 0) {
            printf("wc: %s: %s\n", argv[i], mos_strerror(r));
            status = 1;
            continue;
        }
        show(&c, argv[i]);
        total.lines += c.lines;
        total.words += c.words;
        total.bytes += c.bytes;
    }
    if (argc > 2)
        show(&total, "total");
    free(buf);
    return status;
}
