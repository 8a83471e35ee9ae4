"""Inbound e-mail: parse raw mail (`parse_email`), decide what it is (`classify`), and our threading markers.

Pure Python (stdlib `email` plus small helpers imported lazily): no boto3 and no Chalice, cheap to import.
"""
from chalicelib.mail.disposition import Disposition, Kind, classify
from chalicelib.mail.parse import ParsedEmail, parse_email

__all__ = ["Disposition", "Kind", "ParsedEmail", "classify", "parse_email"]
