"""Builds security-questionnaire.msg, a minimal Outlook message used by the loader tests.

Run once with `pip install cfbwrite`; the output is committed, so tests need neither.
"""

# ruff: noqa
import struct, datetime
from cfbwrite import Entry, write_ole


def s(name, data):
    return Entry(name=name, is_storage=False, size=len(data), read=lambda d=data: d)


def u16(text):
    return text.encode("utf-16-le")


def filetime(dt):
    return int(
        (dt - datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds() * 10_000_000
    )


when = datetime.datetime(2026, 10, 20, 15, 30, tzinfo=datetime.timezone.utc)
props = b"\0" * 8 + struct.pack("<IIII", 1, 0, 1, 0) + b"\0" * 8
for tag in (0x00390040, 0x0E060040):
    props += struct.pack("<IIQ", tag, 6, filetime(when))
strings = {
    "001A": "IPM.Note",
    "0037": "Security questionnaire for Orbit",
    "1000": "Hi Dana,\r\n\r\nOur compliance team needs the completed security questionnaire before the BaFin review on November 30.\r\nWe also want the audit log retention set to ten years.\r\n\r\nBest regards,\r\nJakob Weber\r\nEngineering Manager, Orbit Payments\r\n",
    "0C1A": "Jakob Weber",
    "0C1F": "jakob.weber@orbitpayments.eu",
    "5D01": "jakob.weber@orbitpayments.eu",
    "0E04": "Dana Whitfield",
    "0E03": "",
    "007D": "From: Jakob Weber <jakob.weber@orbitpayments.eu>\r\nTo: Dana Whitfield <dana.whitfield@northbeam.io>\r\nSubject: Security questionnaire for Orbit\r\nDate: Tue, 20 Oct 2026 15:30:00 +0000\r\n",
}
for pid, text in strings.items():
    props += struct.pack("<IIII", int(pid + "001F", 16), 6, len(u16(text)) + 2, 0)
children = [s(f"__substg1.0_{pid}001F", u16(text)) for pid, text in strings.items()]
children.append(s("__properties_version1.0", props))
nameid = Entry(
    name="__nameid_version1.0",
    is_storage=True,
    size=0,
    read=None,
    children=[s("__substg1.0_00020102", b""), s("__substg1.0_00030102", b""), s("__substg1.0_00040102", b"")],
)
children.append(nameid)
write_ole(str(__import__("pathlib").Path(__file__).with_name("security-questionnaire.msg")), children)
print("ok")
