/* Installing secsock into a Wine prefix and taking it out again. */
#ifndef SECSOCKCTL_PREFIX_H
#define SECSOCKCTL_PREFIX_H

#include <stddef.h>

struct install_paths {
    char prefix[2048];      /* the Wine prefix */
    char dll_dir[2048];     /* holds x86_64-windows/ and i386-windows/ */
    char secsockd[2048];    /* the service's absolute path */
    char wine64[2048];
    char wineserver[2048];
};

int prefix_install(const struct install_paths *paths, char *why, size_t why_len);
int prefix_uninstall(const struct install_paths *paths, char *why, size_t why_len);

/* The value of "name" in user.reg's [key] section, unescaped; 0 if found,
 * -1 if the key or value is absent.  (Exposed for the unit tests.) */
int user_reg_value(const char *text, const char *key, const char *name, char *value, size_t size);

#endif
