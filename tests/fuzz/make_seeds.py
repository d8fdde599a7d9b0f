#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (the seed-*.* files; files the
fuzzer found are kept beside them under other names). Run from anywhere; rerunning rewrites the
seeds and leaves the other files alone."""
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
DEEP = 100_000  # nesting levels of the deep seeds

ID = "69f45196c8bbf1ce65b5bcd6"
ID2 = "69f45196c8bbf1ce65b5bcd7"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    (d / ("seed-" + name)).write_bytes(data)


def example_response():
    """The documented example answer of Get Session Details (its last ```json block)."""
    text = (ROOT.parent / "shared/reference/get-session-details.md")
    if not text.exists():  # the reference is outside the repo; keep what was written before
        return None
    blocks = re.findall(r"```json\n(.*?)\n```", text.read_text(), re.S)
    return blocks[-1] if blocks else None


# Hostile YAML shared by the config and watch list seeds.
HOSTILE_YAML = {
    "deep-flow-seq.yaml": "[" * DEEP,
    "deep-flow-seq-closed.yaml": "sessions: " + "[" * DEEP + "]" * DEEP + "\n",
    "deep-flow-map.yaml": "a: " + "{a: " * DEEP + "}" * DEEP + "\n",
    "deep-block-seq.yaml": "- " * DEEP + "x\n",
    "deep-block-map.yaml": "".join(" " * i + "k:\n" for i in range(300)),
    "deep-mixed.yaml": "sessions:\n  - " + "[{a: " * (DEEP // 2) + "\n",
    "billion-laughs.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)),
    "nul-bytes.yaml": "sessions:\n  - 69f45196c8bb\x00f1ce65b5bcd6\n  - \x00\n",
    "invalid-utf8.yaml": b"sessions:\n  - id: 69f45196c8bbf1ce65b5bcd6\n    label: \xff\xfe\xc0\xaf\xed\xa0\x80\n",
    "bom-crlf.yaml": "\ufeffsessions:\r\n  - " + ID + "\r\n",
    "huge-numbers.yaml": "a: 99999999999999999999999999999999999999\nb: -1e400\nc: 0x" + "f" * 200 + "\n",
    "anchors.yaml": "x: &x {id: " + ID + "}\nsessions:\n  - *x\n  - *x\n  - *undefined\n",
    "tabs-and-docs.yaml": "---\nsessions:\n\t- a\n...\n---\nb: c\n",
    "long-scalar.yaml": "sessions:\n  - \"" + "\\u00e9" * 2000 + "\"\n",
}


def config_seeds():
    write("config", "example.yaml", (ROOT / "config/fjwatch.example.yaml").read_text())
    for name, data in HOSTILE_YAML.items():
        write("config", name, data)
    write("config", "empty.yaml", "")
    write("config", "minimal.yaml", "api:\n  base_url: https://prod.api.futurejobs.ai\n")
    write("config", "huge-durations.yaml",
          "poll:\n  interval: 99999999999999999999d\n  max_interval: 9223372036854775807ms\n"
          "  multiplier: 1e308\n  jitter: -0.0\nretry:\n  initial: 1d1h1m1s1ms\n  max: 106751d\n"
          "api:\n  rate: 1e-320/s\n  max_in_flight: 99999999999999999999\n  timeout: 0ms\n")
    write("config", "actions.yaml",
          "actions:\n  - name: hook\n    type: webhook\n    url: https://[::1]:8443/x?y=1\n"
          "    secret_env: HOOK\n    on: [done, status_changed]\n    retry_schedule: [1s, 1h]\n"
          "    headers: {X-A: b}\n  - name: cmd\n    type: command\n    argv: [/bin/true, '{session_id}']\n"
          "  - name: journal\n    type: log\n    template: '{event} {title} {nope'\n"
          "defaults:\n  actions: [hook, journal, missing]\n")
    write("config", "proxy.yaml",
          "api:\n  proxy: http://u%3Ax:p%40ss@[::1]:3128/\n  proxy_auth_file: auth\n"
          "actions:\n  - name: hook\n    type: webhook\n    url: https://h.example/x\n"
          "    secret_env: HOOK\n    proxy: socks5://h:1\n    proxy_auth_file: ''\n"
          "  - name: hook2\n    type: webhook\n    url: http://h.example/x\n"
          "    allow_insecure_http: true\n    secret_env: HOOK\n    proxy: none\n")
    write("config", "wrong-types.yaml", "api: [1, 2]\npoll: x\nlog: {level: [a], format: {}}\nactions: {}\n")


def watch_list_seeds():
    example = (ROOT / "config/watchlist.example.yaml").read_text()
    write("watch_list", "example.yaml", example)
    for name, data in HOSTILE_YAML.items():
        write("watch_list", name, data)
    write("watch_list", "empty.yaml", "")
    write("watch_list", "null-sessions.yaml", "sessions:\n")
    write("watch_list", "top-level-list.yaml", f"- {ID}\n- {{id: {ID2}, actions: [journal]}}\n")
    write("watch_list", "duplicates.yaml",
          f"sessions:\n  - {ID}\n  - id: {ID}\n    label: again\n    actions: [journal, nope]\n"
          f"  - id: {ID2.upper()}\n    extra: 1\n  - not-an-id\n  - [{ID}]\n")


def watch_edit_seeds():
    """Watch list texts behind the 13-byte prefix: options, then 12 bytes of the id to add."""
    texts = {
        "example": (ROOT / "config/watchlist.example.yaml").read_text(),
        "empty": "",
        "comments": "# only a comment\n\n",
        "null": "sessions: ~  # none yet\n",
        "flow-empty": "sessions: []\n",
        "flow": f"sessions: [{ID}]\n",
        "crlf": f"sessions:\r\n  - {ID}\r\n  # tail\r\n",
        "no-newline": f"sessions:\n    -   {ID}",
        "top-level": f"- {ID}\n- id: {ID2}\n  label: x\n",
        "nested-comments": f"sessions:\n  - id: {ID}\n    # inside\n    label: a\n\n  # between\n  - {ID2}\nother: 1\n",
        "deep": "sessions:\n  - " + "[" * DEEP + "\n",
        "nul": f"sessions:\n  - {ID}\x00\n",
        "invalid-utf8": "sessions:\n  - id: " + ID + "\n    label: \udcff\udcfe\n",
    }
    fresh = bytes.fromhex("69f45196c8bbf1ce65b5bcff")
    existing = bytes.fromhex(ID)
    for name, text in texts.items():
        for options, tag in ((0x00, "plain"), (0x1d, "label-actions-remove"), (0x0f, "odd-label")):
            data = bytes([options]) + fresh + text.encode("utf-8", "surrogateescape")
            write("watch_edit", f"{name}-{tag}.bin", data)
        write("watch_edit", f"{name}-existing.bin", bytes([0x11]) + existing + text.encode("utf-8", "surrogateescape"))


def api_response_seeds():
    example = example_response()
    if example:
        write("api_response", "example.json", example)
    status = lambda s: '{"data":{"session":{"_id":"%s","profileMatchingStatus":"%s"}}}' % (ID, s)
    for s in ("processing", "fetching_more", "done", "DONE", "", "\u00e9t\u00e9"):
        write("api_response", f"status-{s or 'empty'}.json", status(s))
    write("api_response", "deep-array.json", "[" * DEEP + "]" * DEEP)
    write("api_response", "deep-object.json", '{"a":' * DEEP + "1" + "}" * DEEP)
    write("api_response", "deep-in-session.json",
          '{"data":{"session":{"profileMatchingStatus":"done","x":' + "[" * DEEP + "]" * DEEP + "}}}")
    write("api_response", "deep-unclosed.json", '{"data":' + "[" * DEEP)
    write("api_response", "brackets-in-strings.json",
          '{"data":{"session":{"profileMatchingStatus":"done","t":"' + "[{" * 200 + '\\"]"}}}')
    write("api_response", "huge-numbers.json",
          '{"data":{"session":{"profileMatchingStatus":"done","totalProfilesMatched":1e999,'
          '"totalProfilesForMatching":18446744073709551616,"totalAvailableProfiles":-9223372036854775809,'
          '"searchMoreCounter":9.2e18,"filterChangesCounter":' + "9" * 5000 + '}}}')
    write("api_response", "invalid-utf8.json",
          b'{"data":{"session":{"profileMatchingStatus":"done","sessionTitle":"\xff\xc0\xaf\xed\xa0\x80"}}}')
    write("api_response", "nul-bytes.json",
          b'{"data":{"session":{"profileMatchingStatus":"done\x00","_id":"a\x00b"}}}\x00')
    write("api_response", "wrong-types.json",
          '{"data":{"session":{"profileMatchingStatus":"done","_id":5,"sessionTitle":[],'
          '"totalProfilesMatched":"25","projectName":null}}}')
    write("api_response", "not-json.txt", "<html>502 Bad Gateway</html>")
    write("api_response", "escapes.json",
          '{"data":{"session":{"profileMatchingStatus":"\\u0064one","x":"\\ud800\\udc00\\ud800"}}}')
    write("api_response", "empty.json", "")


def http_headers_seeds():
    values = {
        "seconds": "120",
        "zero": "0",
        "huge-seconds": "9" * 40,
        "padded": " \t 007 \t",
        "imf-fixdate": "Sun, 06 Nov 1994 08:49:37 GMT",
        "imf-future": "Fri, 01 May 2026 07:09:10 GMT",
        "imf-leap-second": "Thu, 31 Dec 2026 23:59:60 GMT",
        "imf-feb-29": "Sat, 29 Feb 2025 00:00:00 GMT",
        "rfc850": "Sunday, 06-Nov-94 08:49:37 GMT",
        "rfc850-future": "Thursday, 01-May-76 07:09:10 GMT",
        "asctime": "Sun Nov  6 08:49:37 1994",
        "asctime-zero": "Sun Nov 06 08:49:37 1994",
        "year-9999": "Fri, 31 Dec 9999 23:59:59 GMT",
        "year-0000": "Sat, 01 Jan 0000 00:00:00 GMT",
        "negative": "-1",
        "fraction": "1.5",
        "nul": "12\x003",
        "invalid-utf8": b"\xff\xfe 12",
        "headers": "\"etag-1\"\nWed, 21 Oct 2015 07:28:00 GMT\n0\n60\nreq-1\nhttps://elsewhere.example/x",
        "headers-429": "\n\n9223372036854775808\n86401\n\n",
    }
    for name, value in values.items():
        write("http_headers", name + ".txt", value)


def units_seeds():
    values = {
        "ms": "250ms", "s": "5s", "hm": "1h30m", "dh": "1d12h", "all": "1d2h3m4s5ms",
        "zero": "0s", "max": "106751d23h47m16s854ms", "overflow": "106751d23h47m16s855ms",
        "huge": "9" * 40 + "d", "order": "1s1h", "bare": "10", "negative": "-5s",
        "rate-s": "10/s", "rate-min": "600/min", "rate-fraction": "0.5/second",
        "rate-tiny": "1e-320/s", "rate-huge": "1e308/ms", "rate-nan": "nan/s", "rate-inf": "inf/hour",
        "url": "https://prod.api.futurejobs.ai", "url-port-path": "http://127.0.0.1:8080/hooks/",
        "url-ipv6": "https://[::1]:8443/a?b=c", "url-query": "https://h/p?x=%20y&z",
        "url-bad-port": "https://h:99999/", "url-userinfo": "https://u:p@h/", "url-fragment": "https://h/#f",
        "url-upper": "HTTPS://H", "url-empty-host": "https:///x", "url-bad-ipv6": "https://[::1/",
        "nul": "5s\x00", "invalid-utf8": b"https://h/\xff\xc0",
    }
    for name, value in values.items():
        write("units", name + ".txt", value)


def http_wire_seeds():
    # Byte 0 picks the piece size the answer is fed in (1 + byte % 16); the rest is the input.
    crlf = "\r\n"
    answer_200 = ("HTTP/1.1 200 OK" + crlf + "ETag: \"v1\"" + crlf + "RateLimit-Remaining: 59" + crlf
                  + "Content-Type: application/json" + crlf + "Content-Length: 16" + crlf + crlf
                  + '{"data":{"a":1}}')
    values = {
        "answer-200": "\x00" + answer_200,
        "answer-200-bytewise": "\x10" + answer_200,
        "answer-304": "\x03HTTP/1.1 304 Not Modified" + crlf + "ETag: \"v1\"" + crlf + crlf,
        "answer-chunked": "\x05HTTP/1.1 200 OK" + crlf + "Transfer-Encoding: chunked" + crlf + crlf
                          + "5;x=y" + crlf + "hello" + crlf + "0" + crlf + "Trailer: t" + crlf + crlf,
        "answer-too-long": "\x01HTTP/1.1 200 OK" + crlf + "Content-Length: 99999" + crlf + crlf + "x",
        "answer-obs-fold": "\x02HTTP/1.1 200 OK" + crlf + "X: a" + crlf + " b" + crlf
                           + "Content-Length: 0" + crlf + crlf,
        "answer-bare-lf": "\x07HTTP/1.1 200 OK\nETag: x\n\n",
        "answer-two": "\x04" + answer_200 + answer_200,
        "request-get": "\x00GET\n/api/v1/wl/sourcing-session/" + ID + "\nUser-Agent: fjwatch/0.1.0\n"
                       "Accept: application/json\nx-fj-api-key: fjk_x\nIf-None-Match: \"v1\"\n",
        "request-post": "\x00POST\n/hook?a=b\nContent-Type: application/json\nwebhook-id: e1\n\n{\"x\":1}",
        "request-smuggle": "\x00GET\n/x HTTP/1.1\r\nHost: evil\nX: a\rInjected: 1\nY: \x00\n\nGET /second",
        "request-utf8": "\x00GET\n/caf\xc3\xa9\nX-Name: caf\xc3\xa9\tok\n",
    }
    for name, value in values.items():
        write("http_wire", name + ".txt", value)


if __name__ == "__main__":
    config_seeds()
    watch_list_seeds()
    watch_edit_seeds()
    api_response_seeds()
    http_headers_seeds()
    units_seeds()
    http_wire_seeds()
