#include "tap.h"
#include "timefmt.h"

static long long parse(const char *s)
{
	long long ms = -1;
	return time_parse(s, &ms, NULL) == 0 ? ms : -1;
}

int main(void)
{
	ok(parse("75") == 75000, "plain seconds");
	ok(parse("75.5") == 75500, "fractional seconds");
	ok(parse("01:15") == 75000, "MM:SS");
	ok(parse("00:01:02.5") == 62500, "HH:MM:SS.f");
	ok(parse("1:02:03.004") == 3723004, "H:MM:SS.fff");
	ok(parse("0.1230") == 123, "a zero past milliseconds is fine");
	ok(parse("0.1234") == -1, "sub-millisecond precision refused");
	ok(parse("99:99") == -1, "99:99 refused");
	ok(parse("-1") == -1, "negative refused");
	ok(parse("1:2:3:4") == -1, "four fields refused");
	ok(parse("1.5:00") == -1, "fraction on minutes refused");
	ok(parse("abc") == -1, "junk refused");
	ok(parse("") == -1, "empty refused");
	ok(parse("12abc") == -1, "trailing junk refused");
	char buf[32];
	is_str(time_format(3723004, buf, sizeof buf), "01:02:03.004", "format");
	json_object *j = time_to_json(62500);
	is_str(json_object_to_json_string(j), "62.5", "62.5 s as JSON");
	json_object_put(j);
	j = time_to_json(75000);
	is_str(json_object_to_json_string(j), "75", "whole seconds as an integer");
	json_object_put(j);
	return tap_done();
}
