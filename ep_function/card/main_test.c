// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * main_test.c - vmsg-card-test: vmsg-card plus --hostile (hostile_ext.c).
 * TEST ONLY: built for the tests, never installed.
 */
#include "card_ext.h"

int main(int argc, char **argv)
{
	return card_main(argc, argv, &hostile_ext);
}
