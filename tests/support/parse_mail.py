"""Reads each message file named on the command line with Python's own
`email` package (`email.policy.default`) and prints what it decoded, one
item per line, every value hex-encoded UTF-8 (or bytes), so that the Rust
test compares it with what it asked for:

    file HEX(path)
    header HEX(name) HEX(decoded value)      (every top-level field, in order)
    from|to|cc HEX(display name) HEX(addr-spec)
    subject HEX(value)
    date TIMESTAMP OFFSET_MINUTES
    message-id HEX(value)
    text HEX(content)                         (the text/plain body)
    html HEX(content)
    attachment HEX(filename) HEX(content type) HEX(bytes)
    defect HEX(description)                   (any the parser registered)
    end
"""
import email
import email.policy
import sys


def h(s):
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return s.hex() or "-"


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        print("file", h(path))
        for name, value in msg.items():
            print("header", h(name), h(str(value)))
            for d in getattr(value, "defects", []):
                print("defect", h(f"{name}: {d!r}"))
        for field in ("from", "to", "cc"):
            value = msg[field]
            if value is not None:
                for a in value.addresses:
                    print(field, h(a.display_name), h(a.addr_spec))
        if msg["subject"] is not None:
            print("subject", h(str(msg["subject"])))
        date = msg["date"]
        if date is not None and date.datetime is not None:
            dt = date.datetime
            off = int(dt.utcoffset().total_seconds() // 60)
            print("date", int(dt.timestamp()), off)
        if msg["message-id"] is not None:
            print("message-id", h(str(msg["message-id"])))
        for part in msg.walk():
            for d in part.defects:
                print("defect", h(repr(d)))
        body = msg.get_body(("plain",))
        if body is not None:
            print("text", h(body.get_content()))
        body = msg.get_body(("html",))
        if body is not None:
            print("html", h(body.get_content()))
        for part in msg.iter_attachments():
            data = part.get_payload(decode=True) or b""
            print("attachment", h(part.get_filename() or ""), h(part.get_content_type()), h(data))
        print("end")


main()
