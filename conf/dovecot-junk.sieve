# dovecot-junk.sieve - file mail authgate tagged as spam into Junk.
#
# authgate's tag action (conf/rules.example, "tag { ... }") adds
# X-Spam-Flag: YES to mail over the tag threshold and removes any
# X-Spam-Flag a sender wrote, so this header can be trusted here.
#
# Install (Dovecot with Pigeonhole, delivery through LMTP or dovecot-lda):
#   cp dovecot-junk.sieve /etc/dovecot/sieve/junk.sieve
#   sievec /etc/dovecot/sieve/junk.sieve
#   and in the Dovecot configuration (conf.d/90-sieve.conf):
#     plugin { sieve_before = /etc/dovecot/sieve/junk.sieve }
#     protocol lmtp { mail_plugins = $mail_plugins sieve }
# sieve_before runs ahead of each user's own script, so users cannot
# switch it off, and a user's script still sees the message afterwards
# unless "stop" ends the run (as below).
require ["fileinto", "mailbox"];

if header :is "X-Spam-Flag" "YES" {
    fileinto :create "Junk";
    stop;
}
