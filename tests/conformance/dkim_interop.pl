#!/usr/bin/perl
# tests/conformance/dkim_interop.pl - Mail::DKIM (Debian libmail-dkim-perl)
# side of run-dkim-interop.sh.
#
#   dkim_interop.pl verify RECORDS MESSAGE
#       one line per signature: "pass" or "<result> (<detail>)"; key
#       records come from RECORDS ("name TXT-value" lines) through a
#       replaced Mail::DKIM::DNS::query, so no network is used.
#   dkim_interop.pl sign KEYFILE DOMAIN SELECTOR MESSAGE
#       prints MESSAGE signed rsa-sha256, relaxed/relaxed.
# Input lines may end in LF or CRLF; Mail::DKIM is fed CRLF.
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Mail::DKIM::Signer;
use Net::DNS;

sub read_msg {
	my ($path) = @_;
	open my $m, '<', $path or die "$path: $!\n";
	binmode $m;
	my @lines;
	while (<$m>) { s/\r?\n\z/\r\n/; push @lines, $_; }
	close $m;
	return @lines;
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'verify' && @ARGV == 2) {
	my ($recs, $msg) = @ARGV;
	my %rec;
	open my $r, '<', $recs or die "$recs: $!\n";
	while (<$r>) {
		chomp;
		my ($n, $v) = split / /, $_, 2;
		$n = lc $n;
		$n =~ s/\.\z//;
		$rec{$n} = $v;
	}
	close $r;
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($d, $t) = @_;
		$d = lc $d;
		$d =~ s/\.\z//;
		if (!exists $rec{$d}) { $@ = 'NXDOMAIN'; return; }
		my @parts = unpack('(a255)*', $rec{$d});
		return Net::DNS::RR->new(name => $d, type => 'TXT',
					 txtdata => [@parts]);
	};
	my $v = Mail::DKIM::Verifier->new();
	$v->PRINT($_) for read_msg($msg);
	$v->CLOSE;
	for my $s ($v->signatures) {
		my $res = $s->result;
		print $res eq 'pass' ? "pass\n" : "$res (" . $s->result_detail . ")\n";
	}
} elsif ($cmd eq 'sign' && @ARGV == 4) {
	my ($key, $domain, $sel, $msg) = @ARGV;
	my $s = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256',
		Method => 'relaxed', Domain => $domain, Selector => $sel,
		KeyFile => $key,
		Headers => 'from:to:subject:date:message-id');
	my @lines = read_msg($msg);
	$s->PRINT($_) for @lines;
	$s->CLOSE;
	print $s->signature->as_string, "\r\n", @lines;
} else {
	die "usage: dkim_interop.pl verify RECORDS MESSAGE | sign KEY DOMAIN SELECTOR MESSAGE\n";
}
