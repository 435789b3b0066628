/*
 * tests/unit/test_sockwrite.c - milter/sockwrite.c: header edits held
 * back and written with the verdict in one write, in order; flushed
 * before a read or a wait for input; large edits and foreign writes not
 * held; a closed socket's held bytes dropped.
 *
 * Linked like the authgate binary (Makefile: MILTER_WRAP), so writev(),
 * read(), poll() and close() below go through the wrappers. The milter
 * end is one side of a SOCK_SEQPACKET pair: each write the kernel sees
 * is one record at the peer, so "one write" is observable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/sockbuf.h"
#include "milter/sockwrite.h"

struct pair {
	int milter, mta;
};

static int
setup(void **state)
{
	static struct pair p;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	p.milter = sv[0];
	p.mta = sv[1];
	ag_sockbuf_register(p.milter);
	ag_sockwrite_register(p.milter);
	*state = &p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	if (p->milter >= 0)
		close(p->milter);
	close(p->mta);
	return 0;
}

/* packet - write one milter packet the way libmilter's mi_wr_cmd does:
 * length and command in one vector, the data in a second */
static ssize_t
packet(int fd, char cmd, const void *data, size_t len)
{
	unsigned char h[5];
	uint32_t nl = htonl((uint32_t)len + 1);
	struct iovec iov[2] = {
		{ h, sizeof(h) },
		{ (void *)data, len },
	};

	memcpy(h, &nl, 4);
	h[4] = (unsigned char)cmd;
	return writev(fd, iov, len > 0 ? 2 : 1);
}

/* expect - the bytes of packet (cmd, data) at *at of buf */
static void
expect(const unsigned char *buf, size_t n, size_t *at, char cmd,
       const void *data, size_t len)
{
	uint32_t nl;

	assert_true(*at + 5 + len <= n);
	memcpy(&nl, buf + *at, 4);
	assert_int_equal(ntohl(nl), len + 1);
	assert_int_equal(buf[*at + 4], (unsigned char)cmd);
	assert_memory_equal(buf + *at + 5, data, len);
	*at += 5 + len;
}

/* nothing_waiting - the MTA side has no record to read */
static void
nothing_waiting(int fd)
{
	unsigned char b[1];

	assert_int_equal(recv(fd, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
edits_go_with_the_verdict(void **state)
{
	struct pair *p = *state;
	unsigned char buf[65536];
	size_t at = 0;
	ssize_t n;

	assert_int_equal(packet(p->milter, 'i', "\0\0\0\0X-A\0one", 12), 17);
	nothing_waiting(p->mta);
	assert_int_equal(packet(p->milter, 'h', "X-B\0two", 8), 13);
	assert_int_equal(packet(p->milter, 'm', "\0\0\0\1X-C\0", 9), 14);
	nothing_waiting(p->mta);
	assert_int_equal(packet(p->milter, 'a', NULL, 0), 5);
	/* one record: the three edits and the verdict, in that order */
	n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 17 + 13 + 14 + 5);
	expect(buf, (size_t)n, &at, 'i', "\0\0\0\0X-A\0one", 12);
	expect(buf, (size_t)n, &at, 'h', "X-B\0two", 8);
	expect(buf, (size_t)n, &at, 'm', "\0\0\0\1X-C\0", 9);
	expect(buf, (size_t)n, &at, 'a', "", 0);
	assert_int_equal(at, (size_t)n);
	nothing_waiting(p->mta);
}

static void
every_other_command_is_written_at_once(void **state)
{
	struct pair *p = *state;
	const char cmds[] = "acrtdpyf";
	unsigned char buf[64];

	for (const char *c = cmds; *c != '\0'; c++) {
		size_t at = 0;
		ssize_t n;

		assert_int_equal(packet(p->milter, *c, "x", 1), 6);
		n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
		assert_int_equal(n, 6);
		expect(buf, (size_t)n, &at, *c, "x", 1);
	}
}

static void
held_edits_written_before_a_read(void **state)
{
	struct pair *p = *state;
	unsigned char buf[64];
	struct pollfd pfd = { .fd = p->milter, .events = POLLIN };
	size_t at = 0;
	ssize_t n;

	assert_int_equal(packet(p->milter, 'h', "X-D", 3), 8);
	nothing_waiting(p->mta);
	/* libmilter waiting for the MTA's next command: ours goes first */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 8);
	expect(buf, (size_t)n, &at, 'h', "X-D", 3);

	assert_int_equal(packet(p->milter, 'h', "X-E", 3), 8);
	assert_int_equal(send(p->mta, "ping", 4, 0), 4);
	assert_int_equal(read(p->milter, buf, sizeof(buf)), 4);
	at = 0;
	n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 8);
	expect(buf, (size_t)n, &at, 'h', "X-E", 3);
}

static void
full_buffer_is_written_first(void **state)
{
	struct pair *p = *state;
	static unsigned char buf[4 * AG_SOCKWRITE_SIZE];
	char value[1001];
	size_t per = 5 + sizeof(value), total = 0, fit, at;
	unsigned edits = 40;
	ssize_t n;

	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	fit = AG_SOCKWRITE_SIZE / per;
	for (unsigned i = 0; i < edits; i++)
		assert_int_equal(packet(p->milter, 'h', value, sizeof(value)),
				 (ssize_t)per);
	/* whole buffers went out as the edits came, every one full */
	for (unsigned r = 0; r < edits / fit; r++) {
		n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
		assert_int_equal(n, (ssize_t)(fit * per));
		total += (size_t)n;
	}
	nothing_waiting(p->mta);
	assert_int_equal(packet(p->milter, 'a', NULL, 0), 5);
	n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, (ssize_t)((edits % fit) * per + 5));
	total += (size_t)n;
	assert_int_equal(total, edits * per + 5);
	at = (size_t)n - 5;
	assert_int_equal(buf[at + 4], 'a');
}

static void
edit_larger_than_the_buffer_is_not_held(void **state)
{
	struct pair *p = *state;
	static unsigned char big[AG_SOCKWRITE_SIZE + 100];
	static unsigned char buf[2 * AG_SOCKWRITE_SIZE];
	ssize_t n;

	memset(big, 'b', sizeof(big));
	assert_int_equal(packet(p->milter, 'h', "X-F", 3), 8);
	assert_int_equal(packet(p->milter, 'b', big, sizeof(big)),
			 (ssize_t)sizeof(big) + 5);
	/* what was held, then the large one with it, in order */
	n = recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n == 8 || n == (ssize_t)(8 + 5 + sizeof(big)));
	assert_int_equal(buf[4], 'h');
	if (n == 8)
		n = recv(p->mta, buf + 8, sizeof(buf) - 8, MSG_DONTWAIT) + 8;
	assert_int_equal(n, (ssize_t)(8 + 5 + sizeof(big)));
	assert_int_equal(buf[8 + 4], 'b');
	assert_memory_equal(buf + 13, big, sizeof(big));
	nothing_waiting(p->mta);
}

static void
foreign_write_shape_is_not_held(void **state)
{
	struct pair *p = *state;
	unsigned char buf[64];
	struct iovec iov[1] = { { "hello", 5 } };

	/* five bytes whose length field does not describe the write */
	assert_int_equal(writev(p->milter, iov, 1), 5);
	assert_int_equal(recv(p->mta, buf, sizeof(buf), MSG_DONTWAIT), 5);
	assert_memory_equal(buf, "hello", 5);
}

static void
close_drops_what_is_held(void **state)
{
	struct pair *p = *state;
	unsigned char buf[64];

	assert_int_equal(packet(p->milter, 'h', "X-G", 3), 8);
	assert_int_equal(close(p->milter), 0);
	p->milter = -1;
	/* end of stream, nothing of the held edit (the session is over) */
	assert_int_equal(recv(p->mta, buf, sizeof(buf), 0), 0);
}

static void
unregistered_socket_passes_through(void **state)
{
	int sv[2];
	unsigned char buf[64];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(packet(sv[0], 'h', "X-H", 3), 8);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 8);
	close(sv[0]);
	close(sv[1]);
}

static void
peer_gone_is_an_error(void **state)
{
	struct pair *p = *state;

	assert_int_equal(packet(p->milter, 'h', "X-I", 3), 8);
	close(p->mta);
	p->mta = socket(AF_UNIX, SOCK_SEQPACKET, 0);	/* for teardown */
	assert_int_equal(packet(p->milter, 'a', NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(edits_go_with_the_verdict,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			every_other_command_is_written_at_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			held_edits_written_before_a_read, setup, teardown),
		cmocka_unit_test_setup_teardown(full_buffer_is_written_first,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			edit_larger_than_the_buffer_is_not_held, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			foreign_write_shape_is_not_held, setup, teardown),
		cmocka_unit_test_setup_teardown(close_drops_what_is_held,
						setup, teardown),
		cmocka_unit_test(unregistered_socket_passes_through),
		cmocka_unit_test_setup_teardown(peer_gone_is_an_error, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
