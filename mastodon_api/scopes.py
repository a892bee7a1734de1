"""Mastodon's OAuth scopes and the one rule for whether a token's scopes cover what an endpoint
needs. Pure data and functions: the settings import this module.

A token covers ``read:statuses`` when it holds ``read:statuses`` or ``read``; the legacy
``follow`` scope covers the follow, block and mute sub-scopes; ``profile`` covers only the caller's
own account.
"""

SCOPES = {
    "read": "Read all your account's data",
    "write": "Modify all your account's data",
    "follow": "Modify account relationships",
    "push": "Receive push notifications",
    "profile": "Read your own account's information",
    **{
        f"read:{name}": f"Read your {name}"
        for name in (
            "accounts blocks bookmarks favourites filters follows lists mutes notifications "
            "search statuses"
        ).split()
    },
    **{
        f"write:{name}": f"Change your {name}"
        for name in (
            "accounts blocks bookmarks conversations favourites filters follows lists media "
            "mutes notifications reports statuses"
        ).split()
    },
}

FOLLOW_SUBSCOPES = {
    "read:follows",
    "write:follows",
    "read:blocks",
    "write:blocks",
    "read:mutes",
    "write:mutes",
}


def scope_list(text: str) -> list[str]:
    """Scopes as clients send them: separated by spaces or plus signs."""
    return [scope for scope in text.replace("+", " ").split() if scope]


def expand(scopes) -> set[str]:
    """Every scope the given ones grant, sub-scopes of ``read``/``write``/``follow`` included."""
    granted = set(scopes)
    for scope in list(granted):
        if scope in ("read", "write"):
            granted.update(name for name in SCOPES if name.startswith(f"{scope}:"))
        elif scope == "follow":
            granted.update(FOLLOW_SUBSCOPES)
    return granted


def covers(granted, required: str) -> bool:
    """Whether a token with the ``granted`` scopes may call an endpoint that needs ``required``."""
    granted = set(granted)
    if required in granted or required.split(":")[0] in granted:
        return True
    if required in FOLLOW_SUBSCOPES and "follow" in granted:
        return True
    # The caller's own account (verify_credentials) needs ``profile``, or any way to read accounts.
    return required == "profile" and bool({"read", "read:accounts"} & granted)
