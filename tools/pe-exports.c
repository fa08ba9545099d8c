/* pe-exports DLL: the DLL's exports as "ordinal name" lines in ordinal
 * order.  The build derives the layering DLLs' export tables from Wine's
 * own DLLs with it (dlls/local.mk); it fails on an export without a name,
 * which a layering DLL could not look up in the system DLL. */
#include <stdio.h>
#include <stdlib.h>
#include "pe_exports.h"

int main(int argc, char **argv)
{
    struct pe_export *exports;
    size_t count;
    char why[512], *list;

    if (argc != 2)
    {
        fprintf(stderr, "usage: %s DLL\n", argv[0]);
        return 2;
    }
    if (pe_read_exports(argv[1], &exports, &count, why, sizeof(why)) ||
        !(list = pe_export_list(exports, count, why, sizeof(why))))
    {
        fprintf(stderr, "pe-exports: %s\n", why);
        return 1;
    }
    if (!count)
    {
        fprintf(stderr, "pe-exports: %s exports nothing\n", argv[1]);
        return 1;
    }
    fputs(list, stdout);
    free(list);
    pe_free_exports(exports, count);
    return fflush(stdout) ? 1 : 0;
}
