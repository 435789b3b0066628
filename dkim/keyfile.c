/*
 * dkim/keyfile.c - read one PEM private key for signing
 *
 * The file is opened once and checked through its descriptor (fstat), so
 * the mode that is checked belongs to the file whose bytes are read: a
 * symlink is followed and the file it resolves to must be safe, whatever
 * the link's own mode (links have none that matters). OpenSSL parses the
 * key once; the signer (dkim/sign.c) uses that parsed key, read-only,
 * from every thread, whatever form (PKCS#1 or PKCS#8) the file was in.
 * The key is also kept re-encoded as an unencrypted PKCS#8 PEM (k->pem)
 * for code that parses keys itself.
 */
#include "dkim/keys_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

/* keyfile_nopass - never prompt: an encrypted key is an error here */
static int
keyfile_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* keyfile_read - the whole file at path (at most AG_DKIM_KEYFILE_MAX),
 * after the safety check; *buf_r is NUL-terminated */
static int
keyfile_read(const char *path, bool require_safe, const char *where,
	     char **buf_r, size_t *len_r, struct ag_err *err)
{
	char ebuf[128];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, rc = AG_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(fd, &st) != 0) {
		rc = ag_err_set(err, errno == ENOENT ? AG_ENOENT : AG_EINVAL,
				"%skey file %s: cannot open: %s", where, path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ag_err_set(err, AG_EINVAL,
				"%skey file %s is not a "
				"regular file",
				where, path);
		goto out;
	}
	/* opendkim.conf(5) RequireSafeKeys: group/other access is refused;
	 * a writable file is as bad as a readable one (it can be swapped) */
	if (require_safe && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = ag_err_set(err, AG_EINVAL,
				"%skey file %s (mode %04o) is "
				"readable by group or others; chmod 600 it or "
				"set RequireSafeKeys no",
				where, path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > AG_DKIM_KEYFILE_MAX) {
		rc = ag_err_set(err, AG_EINVAL,
				"%skey file %s: size %lld is "
				"not 1 to %d bytes",
				where, path, (long long)st.st_size,
				AG_DKIM_KEYFILE_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "%skey file %s: out of memory",
				where, path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ag_err_set(err, AG_EINVAL,
					"%skey file %s: read "
					"error",
					where, path);
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*buf_r = buf;
	*len_r = len;
	buf = NULL;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, (size_t)st.st_size);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* keyfile_type - learn alg and bits of pkey; refuse what DKIM cannot use */
static int
keyfile_type(EVP_PKEY *pkey, struct ag_dkim_key *k, const char *where,
	     const char *path, struct ag_err *err)
{
	int id = EVP_PKEY_get_base_id(pkey);
	int bits = EVP_PKEY_get_bits(pkey);

	if (id == EVP_PKEY_ED25519) {
		k->alg = AG_DKIM_ALG_ED25519_SHA256;
		k->bits = 256;
		return AG_OK;
	}
	if (id != EVP_PKEY_RSA)
		return ag_err_set(err, AG_EINVAL,
				  "%skey file %s: a %s key; "
				  "DKIM signs with RSA or Ed25519 (RFC 8463)",
				  where, path, OBJ_nid2sn(id));
	if (bits < AG_DKIM_RSA_MIN_BITS || bits > AG_DKIM_RSA_MAX_BITS)
		return ag_err_set(err, AG_EINVAL,
				  "%skey file %s: RSA key of "
				  "%d bits; use %d to %d bits (RFC 8301 3.2)",
				  where, path, bits, AG_DKIM_RSA_MIN_BITS,
				  AG_DKIM_RSA_MAX_BITS);
	k->alg = AG_DKIM_ALG_RSA_SHA256;
	k->bits = (unsigned)bits;
	return AG_OK;
}

/* keyfile_pem - k->pem = pkey as an unencrypted PKCS#8 PEM, NUL-ended */
static int
keyfile_pem(EVP_PKEY *pkey, struct ag_dkim_key *k, struct ag_err *err)
{
	BIO *mem = NULL;
	char *data;
	long n;
	int rc = AG_OK;

	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) !=
		    1 ||
	    (n = BIO_get_mem_data(mem, &data)) <= 0) {
		rc = ag_err_set(err, AG_EINTERNAL,
				"key file %s: cannot "
				"encode the key",
				k->path);
		goto out;
	}
	if ((k->pem = malloc((size_t)n + 1)) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(k->pem, data, (size_t)n);
	k->pem[n] = '\0';
	k->pem_len = (size_t)n;
	OPENSSL_cleanse(data, (size_t)n);
out:
	BIO_free(mem);
	return rc;
}

/* ag_dkim_keyfile_load - check, read and parse one key file */
int
ag_dkim_keyfile_load(struct ag_dkim_key *k, const char *path, bool require_safe,
		     const char *where, struct ag_err *err)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	k->pem = NULL;
	k->pkey = NULL;
	if (snprintf(k->path, sizeof(k->path), "%s", path) >=
	    (int)sizeof(k->path)) {
		rc = ag_err_set(err, AG_EINVAL, "%skey file path too long",
				where);
		goto out;
	}
	if ((rc = keyfile_read(path, require_safe, where, &buf, &len, err)) !=
	    AG_OK)
		goto out;
	if (strstr(buf, "ENCRYPTED") != NULL) {
		rc = ag_err_set(err, AG_EINVAL,
				"%skey file %s is encrypted; "
				"DKIM keys are read unattended: store it "
				"without a passphrase (mode 600)",
				where, path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, keyfile_nopass, NULL);
	if (pkey == NULL) {
		rc = ag_err_set(err, AG_EINVAL,
				"%skey file %s: not a PEM "
				"private key (\"BEGIN PRIVATE KEY\" or \"BEGIN "
				"RSA PRIVATE KEY\")",
				where, path);
		goto out;
	}
	if ((rc = keyfile_type(pkey, k, where, path, err)) != AG_OK)
		goto out;
	if ((rc = keyfile_pem(pkey, k, err)) != AG_OK)
		goto out;
	k->pkey = pkey;
	pkey = NULL;
out:
	/* leave no parse errors in this thread's OpenSSL error queue */
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

/* ag_dkim_key_clear - free the parsed key; wipe the PEM bytes before
 * freeing them */
void
ag_dkim_key_clear(struct ag_dkim_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
	if (k->pem != NULL) {
		OPENSSL_cleanse(k->pem, k->pem_len);
		free(k->pem);
	}
	k->pem = NULL;
	k->pem_len = 0;
}
