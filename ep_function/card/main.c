// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * main.c - vmsg-card, the shipped daemon: no test extension.
 */
#include "card_ext.h"

int main(int argc, char **argv)
{
	return card_main(argc, argv, NULL);
}
