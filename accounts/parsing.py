"""Reading ids from query strings and posted values, in one place for every app (it lives in
accounts, the lowest layer, so thresholds, caf and referrals may all use it).

An id arrives as text anyone can type: "²".isdigit() is True yet int("²") raises, int("١٢") is 12,
and an id past PostgreSQL's bigint makes the query fail. None of those is an id a page of ours wrote.
"""

# Every primary key is a BigAutoField (config/settings.py): PostgreSQL's bigint.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id in `value` (ASCII digits only, from 1 to MAX_ID, spaces around allowed), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (value.isascii() and value.isdecimal()) or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: list[str]) -> set[int]:
    """The valid ids among `values` (a query string's or a form's repeated field); the rest ignored."""
    return {number for number in map(parse_id, values) if number is not None}
