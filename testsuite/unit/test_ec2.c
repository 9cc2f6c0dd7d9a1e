/* test_ec2.c: cloud/ec2's pieces that need no endpoint: the XML reader on
 * EC2's answer shapes and on malformed text, the shared credentials file,
 * the error classes, and the form encoding. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ec2_api.h"
#include "ec2_creds.h"
#include "ec2_xml.h"
#include "unit.h"

static const char run_answer[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
    "  <requestId>r-1</requestId><reservationId>r-0a</reservationId>\n"
    "  <groupSet/>\n"
    "  <instancesSet><item><instanceId>i-0123456789abcdef0</instanceId>\n"
    "    <instanceState><code>0</code><name>pending</name></instanceState>\n"
    "    <tagSet><item><key>Name</key><value>n&amp;3 &#x41;&#66;</value></item></tagSet>\n"
    "  </item></instancesSet>\n"
    "  <!-- a comment --><x:extra xmlns:x=\"u\" a='>'><![CDATA[<raw>]]></x:extra>\n"
    "</RunInstancesResponse>\n";

START_TEST(test_xml_answers)
{
    char err[128];
    struct xml *x = xml_parse(run_answer, strlen(run_answer), err, sizeof(err));
    ck_assert_msg(x != NULL, "%s", err);
    ck_assert_str_eq(x->name, "RunInstancesResponse");
    ck_assert_str_eq(xml_text(x, "instancesSet/item/instanceId"), "i-0123456789abcdef0");
    ck_assert_str_eq(xml_text(x, "instancesSet/item/instanceState/name"), "pending");
    ck_assert_str_eq(xml_text(x, "instancesSet/item/tagSet/item/value"), "n&3 AB");
    ck_assert_str_eq(xml_text(x, "extra"), "<raw>");
    ck_assert_ptr_null(xml_text(x, "instancesSet/item/nothing"));
    xml_free(x);

    const char *e = "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                    "<Message>Request limit exceeded.</Message></Error></Errors>"
                    "<RequestID>x</RequestID></Response>";
    x = xml_parse(e, strlen(e), err, sizeof(err));
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(xml_text(x, "Errors/Error/Code"), "RequestLimitExceeded");
    xml_free(x);
}
END_TEST

START_TEST(test_xml_malformed)
{
    const char *bad[] = { "", "text", "<a>", "<a></b>", "<a><b></a>", "<a>&bogus;</a>",
                          "<a>&#0;</a>", "<a>&#xZZ;</a>", "<a><!-- x</a>", "<a><![CDATA[x</a>",
                          "<>", "<a b='>", "<a>& x</a>", "<x:/>" };
    char err[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err[0] = '\0';
        struct xml *x = xml_parse(bad[i], strlen(bad[i]), err, sizeof(err));
        ck_assert_msg(x == NULL, "'%s' accepted", bad[i]);
        ck_assert_msg(err[0], "'%s' refused without a message", bad[i]);
    }
    char deep[2000] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<a>");
    ck_assert_ptr_null(xml_parse(deep, strlen(deep), err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "deeper"));
}
END_TEST

START_TEST(test_credentials_file)
{
    const char *ini = "[default]\naws_access_key_id = AKD\naws_secret_access_key=SD\n"
                      "# comment\n[profile ops]\n aws_access_key_id=AKO \n"
                      "aws_secret_access_key = SO\naws_session_token=TO\n[empty]\n";
    struct ec2_creds c;
    ck_assert_int_eq(ec2_creds_from_ini(ini, "default", &c), 0);
    ck_assert_str_eq(c.access, "AKD");
    ck_assert_str_eq(c.secret, "SD");
    ck_assert_str_eq(c.token, "");
    ck_assert_int_eq(ec2_creds_from_ini(ini, "ops", &c), 0);
    ck_assert_str_eq(c.access, "AKO");
    ck_assert_str_eq(c.token, "TO");
    ck_assert_int_eq(ec2_creds_from_ini(ini, "empty", &c), -1);
    ck_assert_int_eq(ec2_creds_from_ini(ini, "none", &c), -1);
}
END_TEST

START_TEST(test_errors_and_form)
{
    ck_assert_int_eq(ec2_err_classify("RequestLimitExceeded", 503), EC2_THROTTLED);
    ck_assert_int_eq(ec2_err_classify("InsufficientInstanceCapacity", 500), EC2_CAPACITY);
    ck_assert_int_eq(ec2_err_classify("Unsupported", 400), EC2_CAPACITY);
    ck_assert_int_eq(ec2_err_classify("AuthFailure", 401), EC2_AUTH);
    ck_assert_int_eq(ec2_err_classify("UnauthorizedOperation", 403), EC2_AUTH);
    ck_assert_int_eq(ec2_err_classify("InvalidParameterValue", 400), EC2_OTHER);
    ck_assert_int_eq(ec2_err_classify("", 502), EC2_THROTTLED);
    struct ec2_form f = { 0 };
    ec2_form_add(&f, "Action", "RunInstances");
    ec2_form_addf(&f, "a b/c=d", "Tag.%d.Value", 2);
    ck_assert_str_eq(f.s, "Action=RunInstances&Tag.2.Value=a%20b%2Fc%3Dd");
    ec2_form_free(&f);
    struct ec2_api a;
    char err[256];
    ck_assert_int_eq(ec2_api_init(&a, "eu-west-1", NULL, NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(a.host, "ec2.eu-west-1.amazonaws.com");
    ck_assert_str_eq(a.path, "/");
    ck_assert_int_eq(ec2_api_init(&a, "us-east-1", "http://127.0.0.1:8999", NULL, err,
                                  sizeof(err)), 0);
    ck_assert_str_eq(a.host, "127.0.0.1:8999");
    ck_assert_int_eq(ec2_api_init(&a, "us-east-1", "ftp://x/", NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "Ec2Endpoint"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ec2");
    TCase *tc = tcase_create("ec2");
    tcase_add_test(tc, test_xml_answers);
    tcase_add_test(tc, test_xml_malformed);
    tcase_add_test(tc, test_credentials_file);
    tcase_add_test(tc, test_errors_and_form);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
