/* A PE DLL's export table and named sections, read from the file with
 * every offset checked against its size (see pe_exports.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pe_exports.h"

#define PE_MAX_SIZE (256u << 20)

struct pe_image {
    unsigned char *data;
    size_t size;
    size_t sections;        /* file offset of the section table */
    unsigned nsections;
    uint32_t export_rva, export_size;
};

static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Does [off, off + len) lie inside the file? */
static int in_file(const struct pe_image *pe, uint64_t off, uint64_t len)
{
    return off <= pe->size && len <= pe->size - off;
}

static int load(const char *path, struct pe_image *pe, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rbe");
    long size;
    size_t opt, opt_size, dirs_at, ndirs_at;
    uint16_t magic;

    memset(pe, 0, sizeof(*pe));
    if (!f)
    {
        snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) || (unsigned long)size > PE_MAX_SIZE ||
        !(pe->data = malloc((size_t)size + 1)) || fread(pe->data, 1, (size_t)size, f) != (size_t)size)
    {
        snprintf(why, why_len, "cannot read %s", path);
        fclose(f);
        free(pe->data);
        pe->data = NULL;
        return -1;
    }
    fclose(f);
    pe->size = (size_t)size;

    if (!in_file(pe, 0, 0x40) || memcmp(pe->data, "MZ", 2)) goto bad;
    {
        size_t nt = get32(pe->data + 0x3c);
        if (!in_file(pe, nt, 24) || memcmp(pe->data + nt, "PE\0\0", 4)) goto bad;
        pe->nsections = get16(pe->data + nt + 6);
        opt_size = get16(pe->data + nt + 20);
        opt = nt + 24;
    }
    if (!in_file(pe, opt, opt_size) || opt_size < 2) goto bad;
    magic = get16(pe->data + opt);
    if (magic == 0x10b) { ndirs_at = 92; dirs_at = 96; }        /* PE32 */
    else if (magic == 0x20b) { ndirs_at = 108; dirs_at = 112; } /* PE32+ */
    else goto bad;
    if (opt_size < dirs_at) goto bad;
    if (get32(pe->data + opt + ndirs_at) >= 1 && opt_size >= dirs_at + 8)
    {
        pe->export_rva = get32(pe->data + opt + dirs_at);
        pe->export_size = get32(pe->data + opt + dirs_at + 4);
    }
    pe->sections = opt + opt_size;
    if (!in_file(pe, pe->sections, (uint64_t)pe->nsections * 40)) goto bad;
    return 0;
bad:
    snprintf(why, why_len, "%s is not a PE DLL this reader understands", path);
    free(pe->data);
    pe->data = NULL;
    return -1;
}

/* The file offset of rva, with at least len bytes of the same section
 * behind it in the file; 0 if there is none (offset 0 is never data). */
static size_t rva_offset(const struct pe_image *pe, uint32_t rva, uint32_t len)
{
    for (unsigned i = 0; i < pe->nsections; i++)
    {
        const unsigned char *s = pe->data + pe->sections + (size_t)i * 40;
        uint32_t va = get32(s + 12), raw_size = get32(s + 16), raw = get32(s + 20);
        if (rva < va || rva - va >= raw_size || len > raw_size - (rva - va)) continue;
        if (!in_file(pe, (uint64_t)raw + (rva - va), len)) return 0;
        return (size_t)raw + (rva - va);
    }
    return 0;
}

/* A NUL-terminated string at rva inside one section of the file. */
static const char *rva_string(const struct pe_image *pe, uint32_t rva)
{
    size_t off = rva_offset(pe, rva, 1);
    const unsigned char *end;

    if (!off) return NULL;
    /* The section's rest: rva_offset checked one byte; find the NUL within the file. */
    end = memchr(pe->data + off, 0, pe->size - off);
    return end ? (const char *)pe->data + off : NULL;
}

static int by_ordinal(const void *a, const void *b)
{
    const struct pe_export *x = a, *y = b;
    return (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

void pe_free_exports(struct pe_export *exports, size_t count)
{
    if (!exports) return;
    for (size_t i = 0; i < count; i++) free(exports[i].name);
    free(exports);
}

int pe_read_exports(const char *path, struct pe_export **exports, size_t *count, char *why, size_t why_len)
{
    struct pe_image pe;
    struct pe_export *out = NULL;
    size_t dir, funcs = 0, names = 0, ords = 0, n = 0;
    uint32_t base, nfuncs, nnames;
    unsigned char *named = NULL;

    *exports = NULL;
    *count = 0;
    if (load(path, &pe, why, why_len)) return -1;
    if (!pe.export_rva || !(dir = rva_offset(&pe, pe.export_rva, 40)))
    {
        snprintf(why, why_len, "%s has no export table", path);
        goto fail_quiet;
    }
    base = get32(pe.data + dir + 16);
    nfuncs = get32(pe.data + dir + 20);
    nnames = get32(pe.data + dir + 24);
    if (nfuncs > 65536 || nnames > nfuncs) goto bad;
    if (nfuncs && !(funcs = rva_offset(&pe, get32(pe.data + dir + 28), nfuncs * 4))) goto bad;
    if (nnames && (!(names = rva_offset(&pe, get32(pe.data + dir + 32), nnames * 4)) ||
                   !(ords = rva_offset(&pe, get32(pe.data + dir + 36), nnames * 2)))) goto bad;
    if (!(out = calloc(nfuncs + 1, sizeof(*out))) || !(named = calloc(nfuncs + 1, 1))) goto oom;
    for (uint32_t i = 0; i < nnames; i++)
    {
        uint16_t idx = get16(pe.data + ords + (size_t)i * 2);
        const char *name = rva_string(&pe, get32(pe.data + names + (size_t)i * 4));
        if (idx >= nfuncs || !name || !*name || named[idx]) goto bad;
        named[idx] = 1;
        out[n].ordinal = base + idx;
        if (!(out[n].name = strdup(name))) goto oom;
        n++;
    }
    /* Exports by ordinal only: a function slot no name points to. */
    for (uint32_t i = 0; i < nfuncs; i++)
        if (!named[i] && get32(pe.data + funcs + (size_t)i * 4)) out[n++].ordinal = base + i;
    qsort(out, n, sizeof(*out), by_ordinal);
    free(named);
    free(pe.data);
    *exports = out;
    *count = n;
    return 0;
oom:
    snprintf(why, why_len, "out of memory reading %s", path);
    goto fail_quiet;
bad:
    snprintf(why, why_len, "%s: malformed export table", path);
fail_quiet:
    pe_free_exports(out, n);
    free(named);
    free(pe.data);
    return -1;
}

int pe_read_section(const char *path, const char *name, char **data, size_t *len, char *why, size_t why_len)
{
    struct pe_image pe;
    size_t name_len = strlen(name);

    *data = NULL;
    *len = 0;
    if (name_len > 8)
    {
        snprintf(why, why_len, "section name %s is longer than 8 characters", name);
        return -1;
    }
    if (load(path, &pe, why, why_len)) return -1;
    for (unsigned i = 0; i < pe.nsections; i++)
    {
        const unsigned char *s = pe.data + pe.sections + (size_t)i * 40;
        uint32_t vsize = get32(s + 8), raw_size = get32(s + 16), raw = get32(s + 20);
        size_t size = vsize && vsize < raw_size ? vsize : raw_size;

        if (memcmp(s, name, name_len) || (name_len < 8 && s[name_len])) continue;
        if (!in_file(&pe, raw, size) || !(*data = malloc(size + 1)))
        {
            snprintf(why, why_len, "%s: section %s lies outside the file", path, name);
            free(pe.data);
            return -1;
        }
        memcpy(*data, pe.data + raw, size);
        (*data)[size] = 0;
        *len = size;
        free(pe.data);
        return 0;
    }
    snprintf(why, why_len, "%s has no section %s", path, name);
    free(pe.data);
    return -1;
}

char *pe_export_list(const struct pe_export *exports, size_t count, char *why, size_t why_len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);

    if (!f)
    {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
    {
        if (!exports[i].name)
        {
            snprintf(why, why_len, "ordinal %u is exported without a name", exports[i].ordinal);
            fclose(f);
            free(text);
            return NULL;
        }
        fprintf(f, "%u %s\n", exports[i].ordinal, exports[i].name);
    }
    if (fclose(f))
    {
        snprintf(why, why_len, "out of memory");
        free(text);
        return NULL;
    }
    return text;
}

/* One "ordinal name" line of a list: the name's ordinal, or 0 if absent. */
static unsigned list_ordinal(const char *list, const char *name)
{
    size_t len = strlen(name);

    for (const char *line = list; *line; )
    {
        const char *space = strchr(line, ' '), *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        if (space && space < end && (size_t)(end - space - 1) == len && !strncmp(space + 1, name, len))
            return (unsigned)strtoul(line, NULL, 10);
        line = *end ? end + 1 : end;
    }
    return 0;
}

/* Appends to out what list a has that b lacks ("NAME (ordinal N) only
 * WHERE") or, unless only_absent, has at another ordinal; returns how many. */
static size_t list_missing(const char *a, const char *b, const char *where, int only_absent, FILE *out, size_t shown)
{
    size_t n = 0;
    char name[256];

    for (const char *line = a; *line; )
    {
        const char *end = strchr(line, '\n');
        unsigned ord, other;
        if (!end) end = line + strlen(line);
        if (sscanf(line, "%u %255s", &ord, name) == 2 && (other = list_ordinal(b, name)) != ord &&
            !(only_absent && other))
        {
            if (shown + n < 4)
            {
                fputs(shown + n ? "; " : "", out);
                if (other) fprintf(out, "%s is ordinal %u in this Wine, %u in the build", name, ord, other);
                else fprintf(out, "%s (ordinal %u) only %s", name, ord, where);
            }
            n++;
        }
        line = *end ? end + 1 : end;
    }
    return n;
}

size_t pe_export_list_diff(const char *built, const char *wine, char *out, size_t out_len)
{
    char *text = NULL;
    size_t size = 0, n;
    FILE *f = open_memstream(&text, &size);

    if (!f) return (size_t)-1;
    n = list_missing(wine, built, "in this Wine", 0, f, 0);
    n += list_missing(built, wine, "in the build", 1, f, n);
    if (n > 4) fprintf(f, "; %zu differences in all", n);
    if (fclose(f)) { free(text); return (size_t)-1; }
    snprintf(out, out_len, "%s", text);
    free(text);
    return n;
}
