"""What a request says about the device it came from, in words a reader recognises:
the browser and system (from the User-Agent, by ua-parser's maintained rules) and
the network of the address (never the address itself)."""

import hashlib
import ipaddress
from functools import lru_cache

from ua_parser import parse as parse_user_agent

USER_AGENT_MAX = 300


def hash_session_key(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def address_network(address: str) -> str:
    """ "203.0.113.0/24" for 203.0.113.7, "2001:db8:1::/48" for an IPv6 address, ""
    for anything else. No GeoIP database ships with the site (ADR 0019): the
    network is what a reader can compare with their own, and it keeps the exact
    address out of the reader's history."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=512)
def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """(browser, system), e.g. ("Firefox 128", "Windows 10"); "" for what is unknown.
    Cached: the same few browsers sign in over and over, and parsing runs regexes."""
    user_agent = user_agent[:USER_AGENT_MAX]
    if not user_agent:
        return "", ""
    parsed = parse_user_agent(user_agent)
    browser = system = ""
    if parsed.user_agent is not None and parsed.user_agent.family != "Other":
        browser = " ".join(p for p in (parsed.user_agent.family, parsed.user_agent.major) if p)
    if parsed.os is not None and parsed.os.family != "Other":
        system = " ".join(p for p in (parsed.os.family, parsed.os.major) if p)
    return browser[:80], system[:80]


def describe_request(request) -> dict[str, str]:
    """The fields of a ReaderSession or SignInRecord this request gives."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    browser, system = describe_user_agent(user_agent)
    return {
        "user_agent": user_agent,
        "browser": browser,
        "system": system,
        "network": address_network(request.META.get("REMOTE_ADDR", "")),
    }
