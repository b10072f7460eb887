import pytest

from paas.router.nginxconf import Block, Directive, quote, render


@pytest.mark.parametrize(
    "arg",
    ["8080", "example.com", "/etc/nginx/mime.types", "$host", "max_fails=1",
     "127.0.0.1:5000", "1h", "~*", "a,b", "@named", "[::1]:80"],
)
def test_safe_args_stay_bare(arg):
    assert quote(arg) == arg


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("", '""'),
        ("two words", '"two words"'),
        ("a;b", '"a;b"'),
        ("{", '"{"'),
        ("}", '"}"'),
        ("#comment", '"#comment"'),
        ("''", "\"''\""),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("end\n", '"end\\n"'),
        ('\\"', '"\\\\\\""'),
        ("t=${msec}", '"t=${msec}"'),
        ("~*\\.php$", '"~*\\\\.php$"'),
    ],
)
def test_unsafe_args_quoted_and_escaped(arg, expected):
    assert quote(arg) == expected


@pytest.mark.parametrize("arg", ["x\n", "a b\n", 'q"\n', "a;\n}"])
def test_quoted_output_never_holds_a_raw_newline(arg):
    assert "\n" not in quote(arg)


def test_directive_render():
    d = Directive("return", ["503", "no web process running\n"])
    assert d.render(4) == ['    return 503 "no web process running\\n";']


def test_directive_without_args():
    assert Directive("ip_hash").render() == ["ip_hash;"]


def test_block_render_nests_and_indents():
    b = Block("http", [], [Block("server", [], [Directive("listen", ["80"])]),
                           Directive("gzip", ["on"])])
    assert b.render() == [
        "http {",
        "    server {",
        "        listen 80;",
        "    }",
        "    gzip on;",
        "}",
    ]


def test_block_args_quoted():
    assert Block("location", ["/a b"], []).render() == ['location "/a b" {', "}"]


def test_render_joins_items_with_final_newline():
    text = render([Directive("a", ["1"]), Block("b", [], [Directive("c")])])
    assert text == "a 1;\nb {\n    c;\n}\n"
