/*
 * secsockctl install / uninstall.  install copies the DLLs over the
 * prefix's system32 (x86_64) and syswow64 (i386) copies, sets the DLL
 * overrides to native,builtin and records the service's path; everything
 * it replaces is kept in $WINEPREFIX/secsock-backup so that uninstall puts
 * the prefix back as it was.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pe_exports.h"
#include "prefix.h"

static const char *const dlls[] = { "ws2_32", "fwpuclnt" };
static const struct { const char *arch, *sysdir; } arch_dirs[] = {
    { "x86_64-windows", "system32" },
    { "i386-windows", "syswow64" },
};

/* Paths built from the (at most 2 KiB) parts of struct install_paths always
 * fit the 4 KiB+ buffers here; a wrapper keeps that out of snprintf's
 * truncation warnings. */
static void __attribute__((format(printf, 3, 4))) fmt_path(char *out, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(out, size, fmt, args);
    va_end(args);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static int copy_file(const char *from, const char *to, char *why, size_t why_len)
{
    char buf[65536], tmp[4200];
    int in, out;
    ssize_t n;

    if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
    {
        snprintf(why, why_len, "cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    fmt_path(tmp, sizeof(tmp), "%s.secsock-tmp", to);
    if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
    {
        snprintf(why, why_len, "cannot write %s: %s", tmp, strerror(errno));
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) { n = -1; break; }
    close(in);
    if (n < 0 || fsync(out) || close(out) || rename(tmp, to))
    {
        snprintf(why, why_len, "cannot write %s: %s", to, strerror(errno ? errno : EIO));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Runs argv in the prefix; with output, its standard output (at most
 * output_size - 1 bytes, NUL-terminated) is kept there. */
static int run_in_prefix(char *const argv[], const char *prefix, char *output, size_t output_size)
{
    int pipefd[2] = { -1, -1 }, status;
    size_t got = 0;
    pid_t pid;

    if (output && pipe2(pipefd, O_CLOEXEC)) return -1;
    if ((pid = fork()) < 0)
    {
        if (output) { close(pipefd[0]); close(pipefd[1]); }
        return -1;
    }
    if (!pid)
    {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) { dup2(null, 0); dup2(output ? pipefd[1] : null, 1); dup2(null, 2); }
        setenv("WINEPREFIX", prefix, 1);
        setenv("WINEDEBUG", "-all", 1);
        /* No Gecko or Mono installer prompts in a throwaway prefix. */
        if (!getenv("WINEDLLOVERRIDES")) setenv("WINEDLLOVERRIDES", "mscoree,mshtml=", 1);
        execv(argv[0], argv);
        _exit(127);
    }
    if (output)
    {
        ssize_t n;
        close(pipefd[1]);
        while ((n = read(pipefd[0], output + got, output_size - 1 - got)) > 0 ||
               (n < 0 && errno == EINTR))
            if (n > 0 && (got += (size_t)n) == output_size - 1) break;
        output[got] = 0;
        close(pipefd[0]);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(char *const argv[], const char *prefix)
{
    return run_in_prefix(argv, prefix, NULL, 0);
}

static int read_text(const char *path, char **text)
{
    FILE *f = fopen(path, "re");
    long size;

    *text = NULL;
    if (!f) return -1;
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
        !(*text = calloc(1, (size_t)size + 1)) || fread(*text, 1, (size_t)size, f) != (size_t)size)
    {
        free(*text);
        *text = NULL;
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

int user_reg_value(const char *text, const char *key, const char *name, char *value, size_t size)
{
    size_t klen = strlen(key), nlen = strlen(name);
    const char *p = text;

    while ((p = strstr(p, "\n[")))
    {
        p += 2;
        if (strncmp(p, key, klen) || p[klen] != ']') continue;
        /* The section's values, up to the next section. */
        for (p = strchr(p, '\n'); p && p[1] && p[1] != '['; p = strchr(p + 1, '\n'))
        {
            const char *line = p + 1;
            size_t o = 0;

            if (line[0] != '"' || strncmp(line + 1, name, nlen) || strncmp(line + 1 + nlen, "\"=\"", 3)) continue;
            for (line += nlen + 4; *line && *line != '"' && *line != '\n'; line++)
            {
                if (*line == '\\' && line[1]) line++;
                if (o + 1 >= size) return -1;
                value[o++] = *line;
            }
            if (*line != '"') return -1;
            value[o] = 0;
            return 0;
        }
        return -1;
    }
    return -1;
}

/* A REGEDIT4 string: backslashes and quotes escaped. */
static void reg_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
    {
        if (*s == '\\' || *s == '"') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int reg_import(const struct install_paths *paths, const char *reg_text, char *why, size_t why_len)
{
    char path[4200];
    char *argv[] = { (char *)paths->wine64, "reg", "import", "C:\\secsock-settings.reg", NULL };
    FILE *f;
    int status;

    fmt_path(path, sizeof(path), "%s/drive_c/secsock-settings.reg", paths->prefix);
    if (!(f = fopen(path, "we")) || fputs(reg_text, f) < 0 || fclose(f))
    {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    status = run(argv, paths->prefix);
    unlink(path);
    if (status)
    {
        snprintf(why, why_len, "`wine64 reg import` failed (status %d)", status);
        return -1;
    }
    return 0;
}

static int ensure_prefix(const struct install_paths *paths, char *why, size_t why_len)
{
    char path[4200];
    char *argv[] = { (char *)paths->wine64, "wineboot", "-i", NULL };

    fmt_path(path, sizeof(path), "%s/drive_c/windows/system32", paths->prefix);
    if (exists(path)) return 0;
    if (run(argv, paths->prefix) || !exists(path))
    {
        snprintf(why, why_len, "cannot create the Wine prefix %s with `wine64 wineboot -i`", paths->prefix);
        return -1;
    }
    return 0;
}

/* The folder of Wine's builtin DLLs, as the prefix's Wine itself names it
 * to its processes (WINEDLLDIR0, an NT path such as \??\Z:\usr\lib\wine
 * or \??\unix\usr\lib\wine): the Wine whose ws2_32 the layering DLL
 * forwards to. */
static int wine_dll_dir(const struct install_paths *paths, char *dir, size_t size, char *why, size_t why_len)
{
    char *argv[] = { (char *)paths->wine64, "cmd", "/c", "echo %WINEDLLDIR0%", NULL };
    char out[4096], drive[4200], resolved[PATH_MAX], *p;

    if (run_in_prefix(argv, paths->prefix, out, sizeof(out)))
    {
        snprintf(why, why_len, "`wine64 cmd` failed in %s", paths->prefix);
        return -1;
    }
    out[strcspn(out, "\r\n")] = 0;
    if (strncmp(out, "\\??\\", 4))
    {
        snprintf(why, why_len, "cannot tell where this Wine keeps its builtin DLLs (WINEDLLDIR0 is \"%s\")", out);
        return -1;
    }
    for (p = out; *p; p++) if (*p == '\\') *p = '/';
    if (!strncmp(out + 4, "unix/", 5)) snprintf(dir, size, "%s", out + 8);
    else if (isalpha((unsigned char)out[4]) && out[5] == ':')
    {
        /* A drive letter: its target is the prefix's dosdevices link. */
        fmt_path(drive, sizeof(drive), "%s/dosdevices/%c:", paths->prefix, tolower((unsigned char)out[4]));
        if (!realpath(drive, resolved))
        {
            snprintf(why, why_len, "cannot resolve %s: %s", drive, strerror(errno));
            return -1;
        }
        if (!strcmp(resolved, "/")) resolved[0] = 0;
        if (strlen(resolved) + strlen(out + 6) >= size)
        {
            snprintf(why, why_len, "the path of Wine's builtin DLLs is too long");
            return -1;
        }
        fmt_path(dir, size, "%s%s", resolved, out + 6);
    }
    else
    {
        snprintf(why, why_len, "cannot tell where this Wine keeps its builtin DLLs (WINEDLLDIR0 is \"%s\")", out);
        return -1;
    }
    return 0;
}

/* Refuses DLLs built against a Wine whose exports differ from the prefix's
 * Wine: a program importing a name by ordinal, or a name the build never
 * saw, would reach the wrong function or none.  The build records the
 * Wine DLL's exports in the section ".wexport" (tools/gen-forward.awk). */
static int check_wine_exports(const struct install_paths *paths, char *why, size_t why_len)
{
    char wine_dir[4096], ours[4200], wine[4200], reason[512], diff[1536];
    struct pe_export *exports;
    size_t count, n, len;
    char *built, *list;

    if (wine_dll_dir(paths, wine_dir, sizeof(wine_dir), why, why_len)) return -1;
    for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++)
    {
        fmt_path(ours, sizeof(ours), "%s/%s/%s.dll", paths->dll_dir, arch_dirs[0].arch, dlls[d]);
        fmt_path(wine, sizeof(wine), "%s/%s/%s.dll", wine_dir, arch_dirs[0].arch, dlls[d]);
        if (!exists(wine)) fmt_path(wine, sizeof(wine), "%s/%s.dll", wine_dir, dlls[d]);
        if (pe_read_section(ours, ".wexport", &built, &len, reason, sizeof(reason)))
        {
            snprintf(why, why_len, "%s does not say which Wine it was built for (%s): rebuild secsock (make)",
                     ours, reason);
            return -1;
        }
        if (pe_read_exports(wine, &exports, &count, reason, sizeof(reason)))
        {
            snprintf(why, why_len, "cannot read this Wine's own %s.dll: %s", dlls[d], reason);
            free(built);
            return -1;
        }
        list = pe_export_list(exports, count, reason, sizeof(reason));
        pe_free_exports(exports, count);
        if (!list)
        {
            snprintf(why, why_len, "%s: %s", wine, reason);
            free(built);
            return -1;
        }
        n = pe_export_list_diff(built, list, diff, sizeof(diff));
        free(built);
        free(list);
        if (n)
        {
            snprintf(why, why_len,
                     "%s was built against a Wine whose %s exports differ from this prefix's Wine (%s): %s.\n"
                     "Installing it would make programs call the wrong functions. Rebuild secsock against this Wine "
                     "(its development files: Debian package libwine-dev; then ./configure && make) and install again.",
                     ours, dlls[d], wine, n == (size_t)-1 ? "out of memory comparing them" : diff);
            return -1;
        }
    }
    return 0;
}

/* The prefix's current registry, as saved on disk. */
static char *load_user_reg(const struct install_paths *paths)
{
    char path[4200], *text;

    fmt_path(path, sizeof(path), "%s/user.reg", paths->prefix);
    if (read_text(path, &text)) return NULL;
    return text;
}

/* Every DLL install copies must be built: the x86_64 ones always, the
 * i386 ones when the prefix runs 32-bit programs (it has syswow64): they
 * would get Wine's own DLLs and no secsock. */
static int check_built(const struct install_paths *paths, char *why, size_t why_len)
{
    char from[4200], sysdir[4200];

    for (size_t a = 0; a < sizeof(arch_dirs) / sizeof(*arch_dirs); a++)
    {
        fmt_path(sysdir, sizeof(sysdir), "%s/drive_c/windows/%s", paths->prefix, arch_dirs[a].sysdir);
        if (a && !exists(sysdir)) continue;
        for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++)
        {
            fmt_path(from, sizeof(from), "%s/%s/%s.dll", paths->dll_dir, arch_dirs[a].arch, dlls[d]);
            if (exists(from)) continue;
            if (a) snprintf(why, why_len, "%s is missing (the prefix has %s, for 32-bit programs): build it with `make` first",
                            from, arch_dirs[a].sysdir);
            else snprintf(why, why_len, "%s is missing: build it with `make` first", from);
            return -1;
        }
    }
    return 0;
}

/* The state file: one line per registry value install changes, its old
 * value or "-". */
static int write_state(const struct install_paths *paths, const char *path, char *why, size_t why_len)
{
    char *user_reg = load_user_reg(paths), value[1024];
    FILE *state;

    if (!(state = fopen(path, "we")))
    {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        free(user_reg);
        return -1;
    }
    for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++)
        fprintf(state, "override %s %s\n", dlls[d],
                user_reg && !user_reg_value(user_reg, "Software\\\\Wine\\\\DllOverrides", dlls[d], value,
                                            sizeof(value)) ? value : "-");
    fprintf(state, "servicepath %s\n",
            user_reg && !user_reg_value(user_reg, "Software\\\\secsock", "ServicePath", value, sizeof(value))
                ? value : "-");
    free(user_reg);
    if (fclose(state))
    {
        snprintf(why, why_len, "cannot write %s", path);
        return -1;
    }
    return 0;
}

/* Backs up what install replaces, once: installing twice keeps the
 * originals. */
static int back_up(const struct install_paths *paths, char *why, size_t why_len)
{
    char backup[4200], path[4200], from[4200], to[4200], dir[4200];

    fmt_path(backup, sizeof(backup), "%s/secsock-backup", paths->prefix);
    fmt_path(path, sizeof(path), "%s/state", backup);
    if (exists(path)) return 0;
    if (mkdir(backup, 0755) && errno != EEXIST)
    {
        snprintf(why, why_len, "cannot create %s: %s", backup, strerror(errno));
        return -1;
    }
    for (size_t a = 0; a < sizeof(arch_dirs) / sizeof(*arch_dirs); a++)
    {
        fmt_path(dir, sizeof(dir), "%s/%s", backup, arch_dirs[a].sysdir);
        mkdir(dir, 0755);
        for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++)
        {
            fmt_path(from, sizeof(from), "%s/drive_c/windows/%s/%s.dll", paths->prefix, arch_dirs[a].sysdir, dlls[d]);
            fmt_path(to, sizeof(to), "%s/%s.dll", dir, dlls[d]);
            if (exists(from) && copy_file(from, to, why, why_len)) return -1;
        }
    }
    return write_state(paths, path, why, why_len);
}

/* Our DLLs over the prefix's, for each architecture it has. */
static int copy_dlls(const struct install_paths *paths, char *why, size_t why_len)
{
    char dir[4200], from[4200], to[4200];

    for (size_t a = 0; a < sizeof(arch_dirs) / sizeof(*arch_dirs); a++)
    {
        fmt_path(dir, sizeof(dir), "%s/drive_c/windows/%s", paths->prefix, arch_dirs[a].sysdir);
        if (!exists(dir)) continue;  /* a 64-bit-only prefix has no syswow64 */
        for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++)
        {
            fmt_path(from, sizeof(from), "%s/%s/%s.dll", paths->dll_dir, arch_dirs[a].arch, dlls[d]);
            fmt_path(to, sizeof(to), "%s/%s.dll", dir, dlls[d]);
            if (copy_file(from, to, why, why_len)) return -1;
        }
    }
    return 0;
}

/* The overrides (native,builtin) and the service's path, in the registry. */
static int set_registry(const struct install_paths *paths, char *why, size_t why_len)
{
    size_t reg_size;
    FILE *regf;
    char *reg;
    int ret;

    if (!(regf = open_memstream(&reg, &reg_size))) return -1;
    fprintf(regf, "REGEDIT4\n\n[HKEY_CURRENT_USER\\Software\\Wine\\DllOverrides]\n");
    for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++) fprintf(regf, "\"%s\"=\"native,builtin\"\n", dlls[d]);
    fprintf(regf, "\n[HKEY_CURRENT_USER\\Software\\secsock]\n\"ServicePath\"=");
    reg_string(regf, paths->secsockd);
    fprintf(regf, "\n\n");
    fclose(regf);
    ret = reg_import(paths, reg, why, why_len);
    free(reg);
    return ret;
}

int prefix_install(const struct install_paths *paths, char *why, size_t why_len)
{
    /* Checked before the prefix is made (nothing to undo then), and again
     * once it exists (it may have syswow64). */
    if (check_built(paths, why, why_len)) return -1;
    if (access(paths->secsockd, X_OK))
    {
        snprintf(why, why_len, "%s is missing or not executable", paths->secsockd);
        return -1;
    }
    if (ensure_prefix(paths, why, why_len) || check_wine_exports(paths, why, why_len) ||
        check_built(paths, why, why_len) || back_up(paths, why, why_len) || copy_dlls(paths, why, why_len))
        return -1;
    return set_registry(paths, why, why_len);
}

int prefix_uninstall(const struct install_paths *paths, char *why, size_t why_len)
{
    char backup[4200], path[4200], from[4200], to[4200], line[2048], *reg;
    size_t reg_size;
    FILE *state, *regf;
    int servicepath_restored = 0;

    fmt_path(backup, sizeof(backup), "%s/secsock-backup", paths->prefix);
    fmt_path(path, sizeof(path), "%s/state", backup);
    if (!(state = fopen(path, "re")))
    {
        snprintf(why, why_len, "secsock is not installed in %s (no %s)", paths->prefix, path);
        return -1;
    }
    if (!(regf = open_memstream(&reg, &reg_size)))
    {
        fclose(state);
        return -1;
    }
    fprintf(regf, "REGEDIT4\n\n[HKEY_CURRENT_USER\\Software\\Wine\\DllOverrides]\n");
    while (fgets(line, sizeof(line), state))
    {
        char name[256], value[1800];
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "override %255s %1799[^\n]", name, value) == 2)
        {
            fprintf(regf, "\"%s\"=", name);
            if (!strcmp(value, "-")) fputs("-", regf);
            else reg_string(regf, value);
            fputc('\n', regf);
        }
        else if (sscanf(line, "servicepath %1799[^\n]", value) == 1 && strcmp(value, "-"))
        {
            fprintf(regf, "\n[HKEY_CURRENT_USER\\Software\\secsock]\n\"ServicePath\"=");
            reg_string(regf, value);
            fputc('\n', regf);
            servicepath_restored = 1;
        }
    }
    fclose(state);
    if (!servicepath_restored) fprintf(regf, "\n[-HKEY_CURRENT_USER\\Software\\secsock]\n");
    fputc('\n', regf);
    fclose(regf);
    if (reg_import(paths, reg, why, why_len))
    {
        free(reg);
        return -1;
    }
    free(reg);

    for (size_t a = 0; a < sizeof(arch_dirs) / sizeof(*arch_dirs); a++)
    {
        for (size_t d = 0; d < sizeof(dlls) / sizeof(*dlls); d++)
        {
            fmt_path(from, sizeof(from), "%s/%s/%s.dll", backup, arch_dirs[a].sysdir, dlls[d]);
            fmt_path(to, sizeof(to), "%s/drive_c/windows/%s/%s.dll", paths->prefix, arch_dirs[a].sysdir, dlls[d]);
            if (exists(from))
            {
                if (copy_file(from, to, why, why_len)) return -1;
                unlink(from);
            }
            else unlink(to);  /* there was none before install */
        }
        fmt_path(from, sizeof(from), "%s/%s", backup, arch_dirs[a].sysdir);
        rmdir(from);
    }
    unlink(path);
    if (rmdir(backup))
    {
        snprintf(why, why_len, "cannot remove %s: %s", backup, strerror(errno));
        return -1;
    }
    return 0;
}
