#!/usr/bin/env python3
"""Writes the committed seed corpora under Fuzz/Corpus/<target>/.

Deterministic (gzip members carry mtime 0), so running it again changes
nothing unless a seed below changes. Seeds are small and each exercises one
feature; libFuzzer's own discoveries stay in the work corpus (.build-fuzz).
"""
import gzip
import os
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")


def write(target, seeds):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def crlf(text):
    return text.replace("\n", "\r\n")


REQUESTS = {
    "get": crlf("GET /clients/42?fields=id,email HTTP/1.1\nHost: acme.example.com\nAccept: application/json\n\n"),
    "get-http10-keepalive": crlf("GET / HTTP/1.0\nConnection: keep-alive\n\n"),
    "post-content-length": crlf("POST /clients HTTP/1.1\nHost: a\nContent-Type: application/json\nContent-Length: 13\n\n") + '{"name":"x"}\n',
    "post-chunked": crlf("POST /upload HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5;ext=\"v\"\nhello\n6\n world\n0\nTrailer: t\n\n"),
    "pipelined": crlf("GET /a HTTP/1.1\nHost: a\n\nHEAD /b HTTP/1.1\nHost: a\nConnection: close\n\n"),
    "empty-lines-first": crlf("\n\nGET /livez HTTP/1.1\nHost: localhost:8080\n\n"),
    "options-asterisk": crlf("OPTIONS * HTTP/1.1\nHost: [::1]:8080\n\n"),
    "absolute-form": crlf("GET http://acme.example.com:80/clients/1?x=%20 HTTP/1.1\nHost: acme.example.com\n\n"),
    "connect": crlf("CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n\n"),
    "repeated-content-length": crlf("PUT /x HTTP/1.1\nHost: a\nContent-Length: 3, 3\nContent-Length: 3\n\n") + "abc",
    "many-fields": crlf("GET / HTTP/1.1\nHost: a\n" + "".join(f"X-F{i}: v{i} \t\n" for i in range(8)) + "Cookie: a=b; c=d\n\n"),
    "utf8-value": crlf("GET / HTTP/1.1\nHost: a\nX-Name: caf\u00e9 \u2603\n\n"),
    "obs-fold": crlf("GET / HTTP/1.1\nHost: a\nX: a\n b\n\n"),
    "te-and-cl": crlf("POST / HTTP/1.1\nHost: a\nContent-Length: 4\nTransfer-Encoding: chunked\n\n0\n\n"),
    "chunked-then-get": crlf("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n\n1\na\n0\n\nGET / HTTP/1.1\nHost: a\n\n"),
}

RESPONSES = {
    "200-content-length": crlf("HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 2\n\n") + "{}",
    "200-chunked": crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n4\nWiki\n5;a=b\npedia\n0\nX-Trailer: 1\n\n"),
    "200-until-close": crlf("HTTP/1.0 200 OK\nContent-Type: text/plain\n\n") + "body until close",
    "204": crlf("HTTP/1.1 204 No Content\nContent-Length: 10\n\n"),
    "304": crlf("HTTP/1.1 304 Not Modified\nETag: \"x\"\n\n"),
    "100-then-200": crlf("HTTP/1.1 100 Continue\n\nHTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.1 200 OK\nContent-Length: 1\n\n") + "x",
    "keepalive-two": crlf("HTTP/1.1 200 OK\nContent-Length: 1\n\nAHTTP/1.1 404 Not Found\nContent-Length: 0\nConnection: close\n\n"),
    "no-reason": crlf("HTTP/1.1 500\nContent-Length: 0\n\n"),
    "reason-latin1": b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n",
    "gzip-encoded": crlf("HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: 20\n\n") + "\x1f\x8b" + "\0" * 18,
    "101": crlf("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n"),
    "http10-keepalive": crlf("HTTP/1.0 200 OK\nConnection: keep-alive\nContent-Length: 3\n\nabc"),
}

CHUNKED = {
    "simple": crlf("5\nhello\n0\n\n"),
    "two-chunks": crlf("3\nabc\nA\n0123456789\n0\n\n"),
    "extensions": crlf("4;name=value;flag\nWiki\n5 ; q=\"quo\\\"ted\"\npedia\n0;last\n\n"),
    "trailers": crlf("1\nx\n0\nExpires: never\nX-Checksum: abc\n\n"),
    "uppercase-hex": crlf("1F\n" + "a" * 31 + "\n0\n\n"),
    "leading-zeros": crlf("0005\nhello\n000\n\n"),
    "bws-before-semicolon": crlf("5 \t;x\nhello\n0\n\n"),
    "huge-size": crlf("ffffffffffffffffff\n"),
    "bare-lf": "5\nhello\r\n0\r\n\r\n",
    "missing-crlf": crlf("3\nabcd\n0\n\n"),
    "empty": crlf("0\n\n"),
    "followed-by-request": crlf("2\nhi\n0\n\nGET / HTTP/1.1\n"),
}

CLIENT = (
    '{"id":"42","is_offline":"0","client_number":"000042","staff_id":"0",'
    '"business_name":"Acme \\u0026 Co","first_name":"Ada","last_name":"Lovelace",'
    '"email":"ada@example.com","address1":null,"city":"Cairo","notes":"line\\nbreak \\ud83d\\ude00",'
    '"credit_limit":1.5e3,"category":["a",{"b":[true,false,null]}],"custom":{}}'
)

ENVELOPES = {
    "envelope": '{"result":"successful","code":200,"data":{"Client":' + CLIENT + "}}",
    "envelope-pretty": '{\n  "code": 200,\n  "data": {\n    "Client": {\n      "id": "1",\n      "email": "a@b.c"\n    }\n  }\n}\n',
    "envelope-bom": "\ufeff" + '{"data":{"Client":{"id":"1"}}}',
    "escaped-keys": '{"d\\u0061ta":{"Cli\\u0065nt":{"\\u0069d":"1","e\\/mail":"x","\\"q\\"":0}}}',
    "duplicate-member": '{"data":{"Client":{"id":"1","id":"2","name":"\\u00e9"}}}',
    "duplicate-data": '{"data":{"Client":{}},"data":{}}',
    "client-not-object": '{"data":{"Client":[1,2]}}',
    "empty-client": '{"data":{"Client":{}}}',
    "numbers": '{"data":{"Client":{"a":-0,"b":0.5e-7,"c":1E+2,"d":123456789012345678901234567890}}}',
    "deep": '{"data":{"Client":{"x":' + "[" * 30 + "]" * 30 + "}}}",
    "unicode": '{"data":{"Client":{"\u00e9":"\u4e2d\u6587","\U0001F600":"\U0001F600"}}}',
    "client-only": CLIENT,
}

JSON = dict(ENVELOPES)
JSON.update({
    "scalar-true": "true",
    "scalar-string": '"\\t\\u00e9\\ud83d\\ude00"',
    "array-mixed": '[1,-2.5e+3,"x",null,false,{},[]]',
    "whitespace": " \t\n\r[ 1 , 2 ]\r\n ",
    "trailing-comma": "[1,2,]",
    "lone-surrogate": '"\\ud800"',
    "overlong-utf8": b'"\xc0\xaf"',
    "too-deep": "[" * 65 + "]" * 65,
})

FIELDS = {
    "simple": "id,email",
    "spaces": " id , email ,,first_name ",
    "plus": "first+name,last_name",
    "percent": "id%2Cemail%2c%20city",
    "utf8": "caf%C3%A9,\u00e9",
    "duplicates": "id,id,email,id",
    "empty": "",
    "commas": ",,,",
    "bad-escape": "id%2",
    "control": "id%0Aemail",
    "not-utf8": "%FF%FE",
    "all-documented": "id,is_offline,client_number,staff_id,business_name,first_name,last_name,email,address1,address2,city,state",
}

ACCEPT_ENCODING = {
    "gzip": "gzip",
    "browser": "gzip, deflate, br, zstd",
    "qvalues": "gzip;q=0.5, identity;q=0.6",
    "star": "*;q=0.1",
    "refuse-identity": "identity;q=0, *;q=0",
    "x-gzip": "x-gzip; Q=1.000",
    "bad-q": "gzip;q=1.5, identity;q=abc",
    "gzip-zero": "gzip;q=0, gzip;q=1",
    "empty-elements": " , ,gzip ,",
    "params": "gzip;level=9, br;q=0.9",
    "tabs": "\tgzip\t;\tq=0.001",
    "empty": "",
}


def gz(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def zlib_wrapped(data):
    return zlib.compress(data)


GZIP = {
    "hello": gz(b"hello, world\n"),
    "json": gz(ENVELOPES["envelope"].encode()),
    "empty-member": gz(b""),
    "two-members": gz(b"first ") + gz(b"second"),
    "stored": gz(b"x" * 100, level=0),
    "repetitive": gz(b"abc" * 2000, level=9),
    "zlib-wrapped": zlib_wrapped(b"zlib body"),
    "truncated": gz(b"truncated body here")[:-5],
    "bad-crc": gz(b"crc")[:-8] + b"\0\0\0\0" + gz(b"crc")[-4:],
    "trailing-garbage": gz(b"ok") + b"garbage",
    "header-only": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
    "fname-flag": b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03name\x00" + zlib.compress(b"named")[2:-4],
}

ACME1 = "904fc520be4ca9db80d0ffcc6bf7e01b4148e33d45bb6b422ad2e607815fb508"
ACME2 = "be7df782af8078ebf81424068223c4993133431d522b67c61168fd9152097eb7"
GLOBEX = "4b6a03e748e1d6f1cff27279c6e8b65d522432122cf1faf2654f25bcfd9cfa54"


def tenant(name, upstream, keys, extra=""):
    return ('{"name":"%s","subdomain":"%s","upstream":%s,"consumer_keys_sha256":[%s]%s}'
            % (name, name, upstream, ",".join('"%s"' % k for k in keys), extra))


REGISTRY = {
    "full": '{\n  "allow_passthrough": false,\n  "tenants": [\n    '
            + tenant("acme", '{"bearer_token": "tok-123"}', [ACME1],
                     ',\n "fields": ["id", "email"],\n "rate_limit": {"per_second": 5, "burst": 10},\n'
                     ' "max_concurrent_upstream": 4')
            + "\n  ]\n}\n",
    "two-tenants": '{"tenants":[' + tenant("acme", '{"apikey":"key-1"}', [ACME1, ACME2]) + ","
                   + tenant("globex", '{"bearer_token":"t"}', [GLOBEX]) + "]}",
    "env-credential": '{"tenants":[' + tenant("acme", '{"bearer_token_env":"ACME_TOKEN"}', [ACME1]) + "]}",
    "env-apikey": '{"allow_passthrough":true,"tenants":[' + tenant("acme", '{"apikey_env":"ACME_KEY"}', [ACME1]) + "]}",
    "env-missing": '{"tenants":[' + tenant("acme", '{"apikey_env":"NOPE"}', [ACME1]) + "]}",
    "duplicate-digest": '{"tenants":[' + tenant("a", '{"apikey":"k"}', [ACME1]) + ","
                        + tenant("b", '{"apikey":"k"}', [ACME1]) + "]}",
    "two-credentials": '{"tenants":[' + tenant("acme", '{"apikey":"k","bearer_token":"t"}', [ACME1]) + "]}",
    "fractional-rate": '{"tenants":[' + tenant("acme", '{"apikey":"k"}', [ACME1], ',"rate_limit":{"per_second":0.5,"burst":1}') + "]}",
    "bad-number": '{"tenants":[' + tenant("acme", '{"apikey":"k"}', [ACME1], ',"max_concurrent_upstream":1e3') + "]}",
    "escapes": '\ufeff{"tenants":[{"name":"ac\\u006de","subdomain":"acme","upstream":{"apikey":"k\\/\\"x"},'
               '"consumer_keys_sha256":["' + ACME1 + '"],"fields":["\\ud83d\\ude00","a\\tb"]}]}',
    "duplicate-key": '{"tenants":[],"tenants":[]}',
    "deep": '{"tenants":' + "[" * 33 + "]" * 33 + "}",
}

# Lines: request-target, Host, X-Daftra-Subdomain, query name, route templates.
GATEWAY_REQUEST = {
    "clients": "/clients/42?fields=id,email\nacme.example.com\n\nfields",
    "absolute-form": "http://acme.example.com:8080/clients/7?fields=id&x\nother.example.com",
    "absolute-query-only": "http://acme.example.com?fields=/clients/1\nacme.example.com",
    "subdomain-header": "/clients/1\nlocalhost:8080\nACME-2\nid",
    "host-trailing-dot": "/healthz\nAcme.Example.Com.:443",
    "ipv6-host": "/readyz?\n[::1]:8080\n\n",
    "query-pairs": "/x?a&=1&&fields=&fields=id&a=b=c\n\n\na",
    "templates": "/v1/7/items\n\n\n\n/v1/{id}/items\n/v1/{id}\n/{a}/{b}/{c}\n/",
    "empty-segments": "//clients//42/\n\n\n\n/{x}/\n//",
    "bearer": "Bearer tok-123\nbearer   x\nBEARER \nBearer",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "traceparent-upper": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
    "traceparent-zero": "00-00000000000000000000000000000000-00f067aa0ba902b7-01\nff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "request-id": "req-" + "x" * 124 + "\n" + "y" * 129 + "\ncaf\u00e9",
    "client-ids": "/clients/007\n\n\n\n123456789012345678\n1234567890123456789\n0",
    "kelvin": "/clients/1\n\u212aacme.example.com\n\u212acme",
}

# Lines: first Retry-After, second Retry-After, upstream status.
UPSTREAM_ANSWER = {
    "delta": "120\n\n429",
    "date": "Sun, 06 Nov 1994 08:49:37 GMT\n\n429",
    "two-fields": "7\n8\n429",
    "negative": "-1\n\n429",
    "fraction": "1.5\n\n503",
    "date-garbage": "xxxxxxxxxxxxxxxxxxxxxxxxx GMT\n\n429",
    "date-bad-hour": "Sun, 06 Nov 1994 25:49:37 GMT",
    "long": "1" * 41 + "\n\n429",
    "control": "1\t2\n\n500",
    "statuses": "\n\n404",
}

# One value per line; every line goes to every parser.
CONFIGURATION = {
    "durations": "250ms\n2s\n1m\n24h\n25h\n1.5s\n10\n-1s\n0s\n000000000001s\n86400000ms",
    "hosts": "0.0.0.0\n127.0.0.1\n::\n[::1]\n::ffff:1.2.3.4\n01.2.3.4\n127.1\nfe80::1%eth0\n[1.2.3.4]",
    "integers": "0\n65535\n65536\n007\n+1\n999999999999999999\n1000000",
    "domains": "gateway.example.com\nGateway.Example.COM.\nlocalhost\na..b\n-a.b\nexample.123\n" + "a" * 64 + ".com",
    "levels": "info\nWARNING\nnotice\nverbose\n",
    "templates": "https://{subdomain}.daftra.com/api2\nhttp://127.0.0.1:9000/{subdomain}/api2\nHTTPS://{SUBDOMAIN}.Daftra.com/\nhttp://[::1]:8080/t/{subdomain}/",
    "bad-templates": "https://api-{subdomain}.x.com\nhttps://{subdomain}\nhttp://u:p@{subdomain}.a.com\nftp://{subdomain}.a.com\nhttps://{subdomain}.a.com/./x\nhttps://{subdomain}.a.com:0\nhttps://{subdomain}.a.com/%zz",
}

write("http1-request", REQUESTS)
write("http1-response", RESPONSES)
write("chunked", CHUNKED)
write("json", JSON)
write("projection", ENVELOPES)
write("fields", FIELDS)
write("accept-encoding", ACCEPT_ENCODING)
write("gzip", GZIP)
write("registry", REGISTRY)
write("gateway-request", GATEWAY_REQUEST)
write("upstream-answer", UPSTREAM_ANSWER)
write("configuration", CONFIGURATION)
