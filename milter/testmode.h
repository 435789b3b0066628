/*
 * milter/testmode.h - `authgate --test`: explain the verdict on one message
 * Use:     main() hands over argc/argv when "--test" is among them.
 */
#ifndef AG_MILTER_TESTMODE_H
#define AG_MILTER_TESTMODE_H

/* ag_testmode_main - 0 when the message was evaluated, 64 usage, 78
 * configuration error, 1 other failure */
int ag_testmode_main(int argc, char **argv);

#endif
