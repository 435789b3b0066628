/*
 * dkim/keygen.c - generate DKIM keys with OpenSSL EVP and format the
 * DNS TXT record that publishes the public half
 */
#include "dkim/keygen.h"

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
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim/keys_int.h"

#define KEYGEN_STRING_MAX 255 /* one DNS character-string */

/* keygen_make - a fresh key of alg and bits */
static int
keygen_make(enum ag_dkim_alg alg, unsigned bits, EVP_PKEY **pkey_r,
	    struct ag_err *err)
{
	EVP_PKEY_CTX *ctx = NULL;
	int rc = AG_OK;

	ctx = EVP_PKEY_CTX_new_id(alg == AG_DKIM_ALG_ED25519_SHA256
					  ? EVP_PKEY_ED25519
					  : EVP_PKEY_RSA,
				  NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    (alg == AG_DKIM_ALG_RSA_SHA256 &&
	     EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) != 1) ||
	    EVP_PKEY_keygen(ctx, pkey_r) != 1)
		rc = ag_err_set(err, AG_EINTERNAL,
				"OpenSSL could not "
				"generate the key");
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* keygen_b64 - base64 of len bytes into out (no line breaks) */
static int
keygen_b64(const unsigned char *in, size_t len, char *out, size_t size,
	   struct ag_err *err)
{
	if ((len + 2) / 3 * 4 + 1 > size)
		return ag_err_set(err, AG_ELIMIT,
				  "public key too long for "
				  "the record buffer");
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return AG_OK;
}

/* keygen_txt - the record value for pkey's public half */
static int
keygen_txt(EVP_PKEY *pkey, enum ag_dkim_alg alg, char *txt_r, size_t txt_size,
	   struct ag_err *err)
{
	unsigned char raw[32], *der = NULL;
	char b64[AG_DKIM_TXT_MAX];
	size_t rawlen = sizeof(raw);
	int n, rc;

	if (alg == AG_DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 4.2: p= is the raw 32-byte public key */
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1) {
			rc = ag_err_set(err, AG_EINTERNAL,
					"OpenSSL could not "
					"export the public key");
			goto out;
		}
		rc = keygen_b64(raw, rawlen, b64, sizeof(b64), err);
	} else {
		/* RFC 6376 3.6.1: p= for k=rsa is the DER
		 * SubjectPublicKeyInfo, as opendkim-genkey publishes it */
		if ((n = i2d_PUBKEY(pkey, &der)) <= 0) {
			rc = ag_err_set(err, AG_EINTERNAL,
					"OpenSSL could not "
					"export the public key");
			goto out;
		}
		rc = keygen_b64(der, (size_t)n, b64, sizeof(b64), err);
	}
	if (rc != AG_OK)
		goto out;
	n = snprintf(txt_r, txt_size, "v=DKIM1; k=%s; p=%s",
		     alg == AG_DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa",
		     b64);
	if (n < 0 || (size_t)n >= txt_size)
		rc = ag_err_set(err, AG_ELIMIT,
				"the TXT record (%d bytes) "
				"does not fit in %zu",
				n, txt_size);
out:
	OPENSSL_free(der);
	return rc;
}

/* keygen_write - store pkey as PEM in a new file of mode 0600 */
static int
keygen_write(EVP_PKEY *pkey, const char *path, struct ag_err *err)
{
	char ebuf[128], *data = NULL;
	BIO *mem = NULL;
	long len = 0, off = 0;
	int fd = -1, rc = AG_OK;
	int created = 0;

	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) !=
		    1 ||
	    (len = BIO_get_mem_data(mem, &data)) <= 0) {
		rc = ag_err_set(err, AG_EINTERNAL,
				"OpenSSL could not encode "
				"the private key");
		goto out;
	}
	/* O_EXCL|O_NOFOLLOW: never overwrite, never write through a link */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		rc = ag_err_set(err, AG_EINVAL, "%s: cannot create: %s", path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	created = 1;
	while (off < len) {
		ssize_t n = write(fd, data + off, (size_t)(len - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ag_err_set(err, AG_EINVAL, "%s: write: %s", path,
					strerror_r(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		off += n;
	}
	/* the umask may have cleared bits, never added them; make it exact */
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0)
		rc = ag_err_set(err, AG_EINVAL, "%s: %s", path,
				strerror_r(errno, ebuf, sizeof(ebuf)));
out:
	if (fd >= 0 && close(fd) != 0 && rc == AG_OK)
		rc = ag_err_set(err, AG_EINVAL, "%s: close failed", path);
	if (rc != AG_OK && created)
		unlink(path);
	if (data != NULL && len > 0)
		OPENSSL_cleanse(data, (size_t)len);
	BIO_free(mem);
	return rc;
}

/* ag_dkim_keygen - make a key pair, store the private half */
int
ag_dkim_keygen(enum ag_dkim_alg alg, unsigned bits, const char *keyfile_out,
	       char *txt_r, size_t txt_size, struct ag_err *err)
{
	char txt[AG_DKIM_TXT_MAX];
	EVP_PKEY *pkey = NULL;
	int rc;

	if (alg == AG_DKIM_ALG_RSA_SHA256) {
		if (bits == 0)
			bits = AG_DKIM_KEYGEN_RSA_BITS;
		if (bits < AG_DKIM_RSA_MIN_BITS ||
		    bits > AG_DKIM_RSA_MAX_BITS) {
			rc = ag_err_set(err, AG_EINVAL,
					"RSA keys are %d to %d "
					"bits (RFC 8301 3.2), not %u",
					AG_DKIM_RSA_MIN_BITS,
					AG_DKIM_RSA_MAX_BITS, bits);
			goto out;
		}
	} else if (alg != AG_DKIM_ALG_ED25519_SHA256 ||
		   (bits != 0 && bits != 256)) {
		rc = ag_err_set(err, AG_EINVAL, "Ed25519 keys are 256 bits");
		goto out;
	}
	if ((rc = keygen_make(alg, bits, &pkey, err)) != AG_OK ||
	    (rc = keygen_txt(pkey, alg, txt, sizeof(txt), err)) != AG_OK)
		goto out;
	if (strlen(txt) >= txt_size) {
		rc = ag_err_set(err, AG_ELIMIT,
				"the TXT record (%zu bytes) "
				"does not fit in %zu",
				strlen(txt), txt_size);
		goto out;
	}
	if ((rc = keygen_write(pkey, keyfile_out, err)) != AG_OK)
		goto out;
	memcpy(txt_r, txt, strlen(txt) + 1);
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	return rc;
}

/* keygen_cat - append n bytes of s to line at *off, if they fit */
static int
keygen_cat(char *line, size_t size, size_t *off, const char *s, size_t n)
{
	if (*off + n >= size)
		return AG_ELIMIT;
	memcpy(line + *off, s, n);
	*off += n;
	line[*off] = '\0';
	return AG_OK;
}

/* ag_dkim_keygen_zone_line - "name. IN TXT ( "..." "..." )" */
int
ag_dkim_keygen_zone_line(const char *domain, const char *selector,
			 const char *txt, char *line_r, size_t size,
			 struct ag_err *err)
{
	char line[AG_DKIM_ZONE_LINE_MAX];
	size_t off = 0, len = strlen(txt), pos = 0;
	int n, rc = AG_OK;

	if (!ag_dkim_name_ok(domain) || !ag_dkim_name_ok(selector))
		return ag_err_set(err, AG_EINVAL,
				  "\"%s\" / \"%s\" is not a "
				  "domain and selector",
				  domain, selector);
	if (strpbrk(txt, "\"\\") != NULL)
		return ag_err_set(err, AG_EINVAL,
				  "the record holds a quote "
				  "or backslash");
	n = snprintf(line, sizeof(line), "%s._domainkey.%s. IN TXT (", selector,
		     domain);
	if (n < 0 || (size_t)n >= sizeof(line))
		return ag_err_set(err, AG_ELIMIT, "the zone line is too long");
	off = (size_t)n;
	/* one string per line after the first, each at most 255 bytes */
	while (rc == AG_OK && pos < len) {
		size_t take = len - pos > KEYGEN_STRING_MAX ? KEYGEN_STRING_MAX
							    : len - pos;
		const char *sep = pos == 0 ? " \"" : "\n\t\"";
		if ((rc = keygen_cat(line, sizeof(line), &off, sep,
				     strlen(sep))) != AG_OK ||
		    (rc = keygen_cat(line, sizeof(line), &off, txt + pos,
				     take)) != AG_OK ||
		    (rc = keygen_cat(line, sizeof(line), &off, "\"", 1)) !=
			    AG_OK)
			break;
		pos += take;
	}
	if (rc == AG_OK)
		rc = keygen_cat(line, sizeof(line), &off, " )", 2);
	if (rc != AG_OK || off >= size)
		return ag_err_set(err, AG_ELIMIT,
				  "the zone line does not "
				  "fit in %zu bytes",
				  size);
	memcpy(line_r, line, off + 1);
	return AG_OK;
}
