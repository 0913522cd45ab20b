/*
 * The env_file parser (envfile.c): every form of line, every mistake with
 * its line number, and that one bad line does not hide the others.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "suites.h"

struct parsed {
	char		**env;
	size_t		 n;
	int		 bad;
	char		 problems[2048];	/* "LINE: msg\n" each */
};

static void
note(void *arg, int line, const char *msg)
{
	struct parsed *p = arg;
	size_t used = strlen(p->problems);

	snprintf(p->problems + used, sizeof(p->problems) - used, "%d: %s\n",
	    line, msg);
}

static struct parsed
parse_len(const char *buf, size_t len)
{
	struct parsed p = { 0 };

	p.bad = envfile_parse(buf, len, &p.env, &p.n, note, &p);
	ck_assert_int_ge(p.bad, 0);
	ck_assert(p.n == 0 || p.env[p.n] == NULL);
	return p;
}

static struct parsed
parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void
done(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->env[i]);
	free(p->env);
}

/* The assignments of p, "K=V|K=V". */
static const char *
joined(const struct parsed *p)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i ? "|" : "", p->env[i]);
	return buf;
}

START_TEST(assignments)
{
	struct parsed p = parse("# comment\n\n   \nA=1\n  export B=two words  \n"
	    "export\tC='single $x \\n'\nD=\"dq \\\" \\\\ \\$ \\` \\n \\q\" # c\n"
	    "E=\nF=a#b\nexport=x\nA=again\n");

	ck_assert_msg(p.bad == 0, "%s", p.problems);
	ck_assert_str_eq(joined(&p), "A=1|B=two words|C=single $x \\n|"
	    "D=dq \" \\ $ ` \n \\q|E=|F=a#b|export=x|A=again");
	done(&p);
}
END_TEST

START_TEST(line_endings)
{
	static const char bom_crlf[] = "\xEF\xBB\xBF" "A=1\r\nB='2'\r\nC=3";
	struct parsed p = parse_len(bom_crlf, sizeof(bom_crlf) - 1);

	ck_assert_msg(p.bad == 0, "%s", p.problems);
	ck_assert_str_eq(joined(&p), "A=1|B=2|C=3");
	done(&p);
	p = parse("");
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(p.bad, 0);
	done(&p);
}
END_TEST

START_TEST(mistakes_at_their_lines)
{
	static const char text[] = "A=1\nnot an assignment\n1X=2\nB =3\n"
	    "C=\"open\nD='open\nE=\"x\" y\nF=ok\nG=\x01\n";
	struct parsed p = parse_len(text, sizeof(text) - 1);

	ck_assert_int_eq(p.bad, 7);
	ck_assert_str_eq(joined(&p), "A=1|F=ok");
	ck_assert_str_eq(p.problems,
	    "2: 'not an assignment' is not KEY=VALUE\n"
	    "3: '1X' is not a variable name (letters, digits and _, not "
	    "starting with a digit)\n"
	    "4: 'B =': no blank allowed before '=' (write B=VALUE)\n"
	    "5: unterminated double quote (values are one line; write \\n for "
	    "a newline)\n"
	    "6: unterminated single quote (values are one line)\n"
	    "7: text after the closing quote (quote the whole value, or put a "
	    "'#' before a comment)\n"
	    "9: control character 0x01 at column 3 (is this a text file?)\n");
	done(&p);
}
END_TEST

START_TEST(nul_and_long_lines)
{
	static const char nul[] = "A=1\nB=\0x\nC=3\n";
	char line[400];
	struct parsed p = parse_len(nul, sizeof(nul) - 1);

	ck_assert_int_eq(p.bad, 1);
	ck_assert_str_eq(p.problems, "2: control character 0x00 at column 3 "
	    "(is this a text file?)\n");
	ck_assert_str_eq(joined(&p), "A=1|C=3");
	done(&p);

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	p = parse(line);
	ck_assert_int_eq(p.bad, 1);
	ck_assert_msg(strlen(p.problems) < 160 && strstr(p.problems, "...'"),
	    "a long line is quoted in full: %s", p.problems);
	done(&p);
}
END_TEST

Suite *
envfile_suite(void)
{
	Suite *s = suite_create("envfile");
	TCase *tc = tcase_create("envfile");

	tcase_add_test(tc, assignments);
	tcase_add_test(tc, line_endings);
	tcase_add_test(tc, mistakes_at_their_lines);
	tcase_add_test(tc, nul_and_long_lines);
	suite_add_tcase(s, tc);
	return s;
}
