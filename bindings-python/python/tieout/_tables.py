"""The books as ``pyarrow`` tables: ``books.table("invoices", status="open")``.

One column per record field: amounts as ``decimal128`` at the currency's scale
(the largest exponent among the rows' currencies, so a mixed USD/JPY column is
exact at 2 places; rates and quantities keep every digit they have), times as UTC ``timestamp``, dates as ``date32``, enums as
strings, nested records flattened with a prefix (``source_external_id``),
metadata as a string map. Lines and items are their own tables
(``invoice_lines``, ``subscription_items``, ``case_events``,
``journal_postings``) keyed by the parent's books id. ``cases`` are the
collection cases (debtor and address flattened). ``journal_entries`` are those of ``books.journal_entries()``
(the default mapping, both layers); their postings carry their own currency.
``.to_pandas()`` then works as usual.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import typing
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _records
from ._errors import InvalidArgument
from ._native import currency_exponent

def _journal(books: Any) -> Sequence[Any]:
    return list(books.journal_entries().entries)


#: Table name -> (books method or a function of the books, record class, child
#: list field or None).
_TABLES: Dict[str, Tuple[Any, type, Optional[str]]] = {
    "invoices": ("invoices", _records.Invoice, None),
    "invoice_lines": ("invoices", _records.Invoice, "lines"),
    "payments": ("payments", _records.Payment, None),
    "allocations": ("allocations", _records.Allocation, None),
    "subscriptions": ("subscriptions", _records.Subscription, None),
    "subscription_items": ("subscriptions", _records.Subscription, "items"),
    "customers": ("customers", _records.Customer, None),
    "payouts": ("payouts", _records.Payout, None),
    "cases": ("collection_cases", _records.CollectionCase, None),
    "case_events": ("collection_cases", _records.CollectionCase, "history"),
    "journal_entries": (_journal, _records.JournalEntry, None),
    "journal_postings": (_journal, _records.JournalEntry, "postings"),
}

#: The key column of a child table, when not ``<parent class>_id``.
_PARENT_KEYS = {"JournalEntry": "entry_id", "CollectionCase": "case_id"}


def _pyarrow() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as err:  # pragma: no cover - exercised in a venv without pyarrow
        raise ImportError(
            "books.table() needs the 'pyarrow' package (pip install pyarrow); "
            "pandas users: pip install pyarrow pandas"
        ) from err
    return pyarrow


def _unwrap(tp: Any) -> Tuple[Any, bool]:
    """``Optional[X]`` -> (X, True)."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Union and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False


class _Column:
    def __init__(self, name: str, getter: Callable[[Any], Any], tp: Any) -> None:
        self.name, self.getter, self.tp = name, getter, tp


def _columns(cls: type, prefix: str = "", get: Callable[[Any], Any] = lambda r: r) -> List[_Column]:
    hints = typing.get_type_hints(cls)
    cols: List[_Column] = []
    for f in dataclasses.fields(cls):
        tp, _ = _unwrap(hints[f.name])

        def getter(r: Any, name: str = f.name, outer: Callable[[Any], Any] = get) -> Any:
            parent = outer(r)
            return None if parent is None else getattr(parent, name)

        origin = typing.get_origin(tp)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            cols.extend(_columns(tp, f"{prefix}{f.name}_", getter))
        elif origin in (list, List) and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            continue  # lines, items, fee details: their own tables
        else:
            cols.append(_Column(prefix + f.name, getter, tp))
    return cols


def _arrow_type(pa: Any, tp: Any, scale: int) -> Any:
    origin = typing.get_origin(tp)
    if tp is Decimal:
        return pa.decimal128(38, scale)
    if tp is _dt.datetime:
        return pa.timestamp("us", tz="UTC")
    if tp is _dt.date:
        return pa.date32()
    if tp is bool:
        return pa.bool_()
    if tp is int:
        return pa.int64()
    if origin in (dict, Dict):
        return pa.map_(pa.string(), pa.string())
    if origin in (list, List):
        return pa.list_(pa.string())
    return pa.string()


def _value(v: Any, tp: Any, scale: int) -> Any:
    if v is None:
        return None
    if isinstance(v, Enum):
        return v.value
    if tp is Decimal:
        return Decimal(v).quantize(Decimal(1).scaleb(-scale))
    if isinstance(v, dict):
        return list(v.items())
    if isinstance(v, list):
        return [x.value if isinstance(x, Enum) else str(x) for x in v]
    if tp is str and not isinstance(v, str):
        return str(v)
    return v


def _matches(record: Any, filters: Dict[str, Any]) -> bool:
    for k, want in filters.items():
        have = getattr(record, k)
        if isinstance(have, Enum):
            have = have.value
        if isinstance(want, Enum):
            want = want.value
        if k == "currency" and isinstance(want, str):
            want = want.upper()
        if have != want:
            return False
    return True


def table(books: Any, name: str, **filters: Any) -> Any:
    """``name`` (see ``_TABLES``) as a ``pyarrow.Table``; ``filters`` keep the
    records whose field equals the value (``status="open"``, ``currency="USD"``,
    ``customer_id=...``; for line and item tables they apply to the parent)."""
    if name not in _TABLES:
        raise InvalidArgument(f"unknown table {name!r}; one of {', '.join(sorted(_TABLES))}")
    pa = _pyarrow()
    method, cls, child = _TABLES[name]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(filters) - names)
    if unknown:
        raise InvalidArgument(f"{cls.__name__} has no field {', '.join(unknown)}")
    listed = method(books) if callable(method) else getattr(books, method)()
    records: Sequence[Any] = [r for r in listed if _matches(r, filters)]
    if child is None:
        rows: List[Any] = list(records)
        cols = _columns(cls)
        currency_of: Callable[[Any], Optional[str]] = lambda r: getattr(r, "currency", None)
    else:
        child_cls = typing.get_args(typing.get_type_hints(cls)[child])[0]
        rows = [(parent, c) for parent in records for c in getattr(parent, child)]
        key = _PARENT_KEYS.get(cls.__name__, f"{cls.__name__.lower()}_id")
        cols = [_Column(key, lambda pc: pc[0].id, str)]
        if "currency" in {f.name for f in dataclasses.fields(child_cls)}:
            currency_of = lambda pc: pc[1].currency  # noqa: E731
        else:
            cols.append(_Column("currency", lambda pc: pc[0].currency, str))
            currency_of = lambda pc: pc[0].currency  # noqa: E731
        cols += _columns(child_cls, "", lambda pc: pc[1])
    codes = {c for c in (currency_of(r) for r in rows) if c}
    money_scale = max((currency_exponent(c) for c in codes), default=2)
    arrays = {}
    for col in cols:
        values = [col.getter(r) for r in rows]
        scale = money_scale
        if col.tp is Decimal:
            # Amounts sit at their currency's scale; rates and quantities keep every digit.
            scale = max([scale] + [_places(v) for v in values if v is not None])
        typ = _arrow_type(pa, col.tp, scale)
        arrays[col.name] = pa.array([_value(v, col.tp, scale) for v in values], type=typ)
    return pa.table(arrays)


def _places(v: Decimal) -> int:
    exp = Decimal(v).as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0
