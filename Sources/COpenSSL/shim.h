// OpenSSL's low-level SHA-256. OpenSSL 3 marks it deprecated in favour of
// EVP, but EVP loads its provider machinery on first use, which measured
// 0.4 ms on `run`'s start-up path; the low-level functions are the same
// code (SHA-NI where the CPU has it) without that.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/sha.h>
