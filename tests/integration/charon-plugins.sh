# charon_plugins CHARON: the `load` list for a test's private charon, with
# the plugins this strongSwan has.  strongSwan 5.9 (Debian 12) ships its
# crypto as separate plugins (aes sha1 sha2 hmac gmp ...); 6.0 (Debian 13)
# has none of those and does everything through openssl, which Debian 12
# has only in libstrongswan-standard-plugins.  A plugin named in `load` but
# absent is only a warning to charon; listing what is there keeps its log
# clean and says in the test's output which crypto it runs with.
charon_plugins() {
  local dir p list=""
  dir=$(dirname "$1")/plugins
  for p in random nonce openssl aes sha1 sha2 md5 hmac gmp kdf pem pkcs1 pkcs8 x509 pubkey \
           revocation constraints kernel-netlink socket-default vici; do
    # Without a plugin folder (a build with the plugins inside) name them all.
    if [ ! -d "$dir" ] || [ -f "$dir/libstrongswan-$p.so" ]; then list="$list $p"; fi
  done
  echo "${list# }"
}
