/* Reading a PE DLL's export table and named sections (PE32 and PE32+),
 * bounds-checked: the build derives the layering DLLs' export tables from
 * Wine's own DLLs with it, and `secsockctl install` compares a prefix's
 * Wine with what secsock was built against. */
#ifndef SECSOCKCTL_PE_EXPORTS_H
#define SECSOCKCTL_PE_EXPORTS_H

#include <stddef.h>

struct pe_export {
    unsigned ordinal;
    char *name;          /* NULL: exported by ordinal only */
};

/* The exports of the DLL at path, sorted by ordinal.  0 on success; -1
 * with the reason in why. */
int pe_read_exports(const char *path, struct pe_export **exports, size_t *count, char *why, size_t why_len);
void pe_free_exports(struct pe_export *exports, size_t count);

/* The file contents of the section called name (at most 8 characters),
 * NUL-terminated; 0 on success, -1 with the reason in why. */
int pe_read_section(const char *path, const char *name, char **data, size_t *len, char *why, size_t why_len);

/* "ordinal name" lines, one per export, in ordinal order (what the build
 * records in the layering DLL and pe_read_section gives back).  Fails on an
 * export without a name.  The caller frees the text. */
char *pe_export_list(const struct pe_export *exports, size_t count, char *why, size_t why_len);

/* How two such lists differ: the number of exports that are missing from
 * one or at another ordinal, with the first few described in out
 * (built: what secsock was built against; wine: the prefix's Wine). */
size_t pe_export_list_diff(const char *built, const char *wine, char *out, size_t out_len);

#endif
