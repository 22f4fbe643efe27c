"""Geocoding behind one small protocol: rate-limited geopy services plus an offline fallback.

Geocoding runs only in background jobs, never in a request. Each network geocoder wraps its
geopy client in geopy's ``RateLimiter`` with a per-service minimum delay:

* ``nominatim``: OpenStreetMap's public server allows at most 1 request per second from an
  application that sends a real, identifying User-Agent and caches its results (see
  https://operations.osmfoundation.org/policies/nominatim/). The delay is 1.0 s and cannot be
  lowered for the public server; bulk geocoding of a whole voter file belongs on a self-hosted
  Nominatim or the Census geocoder.
* ``arcgis``: Esri's World Geocoding Service, anonymous, 0.5 s between requests. Esri's terms
  only allow *storing* results with an ArcGIS account (``forStorage``), which the anonymous
  client does not have: check the licence before persisting its answers.
* ``census``: the US Census Bureau geocoder (free, no key, US addresses only, interpolated along
  TIGER/Line address ranges). geopy 2.4/2.5 ship no Census geocoder, so :class:`CensusClient`
  implements one on geopy's ``Geocoder`` base (same adapters, timeouts and exceptions). 0.5 s
  between requests.

A limiter throttles one process: run geocoding jobs on a single worker so the delays hold.

``build_geocoder`` wraps every network geocoder in :class:`FallbackGeocoder` with the offline
:class:`ZipCentroidGeocoder`, so an outage or a miss still places a contact at its ZIP's centre,
marked ``precision="zip_centroid"`` (``result.approximate`` is True).
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Final, Protocol, runtime_checkable
from urllib.parse import urlencode

import geopy.geocoders.base
from geopy.exc import GeocoderParseError, GeocoderServiceError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import ArcGIS, Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.location import Location

from fieldcrm.lib.geo import zip_centroid

logger = logging.getLogger(__name__)

PRECISIONS: Final = ("rooftop", "street", "zip_centroid", "city", "approximate")
"""Best to worst. ``rooftop``: the building itself; ``street``: interpolated along the street or
the street's centre; ``zip_centroid``: the ZIP code's centre; ``city``/``approximate``: coarser."""

NOMINATIM_PUBLIC_DOMAIN: Final = "nominatim.openstreetmap.org"


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """Where an address is, which service said so, and how precise the answer is."""

    lat: float
    lon: float
    source: str
    precision: str
    matched_address: str | None = None

    @property
    def approximate(self) -> bool:
        """True unless the point is on the building or its street (don't cut turf by it)."""
        return self.precision not in ("rooftop", "street")


@runtime_checkable
class Geocoder(Protocol):
    """Anything that turns a one-line address into a :class:`GeocodeResult`."""

    name: str

    def geocode(self, address: str) -> GeocodeResult | None:
        """Return the address's location, or None when the service has no match.

        Network implementations raise ``geopy.exc.GeocoderServiceError`` subclasses
        (``GeocoderTimedOut``, ``GeocoderUnavailable``, ``GeocoderRateLimited``…) when the
        service fails after its retries.
        """
        ...


class _GeocodeClient(Protocol):
    def geocode(self, query: str, **kwargs: Any) -> Location | None: ...


class _RateLimitedGeocoder(ABC):
    """Shared machinery: a geopy client behind a RateLimiter that re-raises after retries."""

    name: ClassVar[str]
    default_min_delay_seconds: ClassVar[float]

    def __init__(
        self,
        client: _GeocodeClient,
        *,
        min_delay_seconds: float | None = None,
        max_retries: int = 1,
        error_wait_seconds: float = 2.0,
    ) -> None:
        delay = self.default_min_delay_seconds if min_delay_seconds is None else min_delay_seconds
        if delay < 0 or max_retries < 0 or error_wait_seconds < 0:
            raise ValueError("rate-limit delays and retries must not be negative")
        self.client = client
        # swallow_exceptions=False: a failure must reach FallbackGeocoder (and the job's error
        # count) instead of silently turning into "no match".
        self.rate_limiter = RateLimiter(
            client.geocode,
            min_delay_seconds=delay,
            max_retries=max_retries,
            error_wait_seconds=error_wait_seconds,
            swallow_exceptions=False,
        )

    def _query_kwargs(self) -> dict[str, Any]:
        return {}

    @abstractmethod
    def _precision(self, raw: dict[str, Any]) -> str:
        """Map the service's raw answer to a precision word."""

    def geocode(self, address: str) -> GeocodeResult | None:
        """Geocode one address, waiting as long as the service's rate limit requires.

        Returns None for a blank address or no match. Raises the client's
        ``geopy.exc.GeocoderServiceError`` (timeout, unavailable, rate limited…) once retries
        are exhausted.
        """
        if not address or not address.strip():
            return None
        location = self.rate_limiter(address.strip(), **self._query_kwargs())
        if location is None:
            return None
        return GeocodeResult(
            lat=float(location.latitude),
            lon=float(location.longitude),
            source=self.name,
            precision=self._precision(location.raw or {}),
            matched_address=location.address or None,
        )


class _ServiceGeocoder(_RateLimitedGeocoder):
    """A rate-limited service whose client is built from a user agent and a timeout."""

    @staticmethod
    @abstractmethod
    def _default_client(user_agent: str, timeout: float) -> _GeocodeClient:
        """The geopy client used when none is injected."""

    def __init__(
        self,
        user_agent: str,
        timeout: float = 10.0,
        *,
        client: _GeocodeClient | None = None,
        min_delay_seconds: float | None = None,
        max_retries: int = 1,
        error_wait_seconds: float = 2.0,
    ) -> None:
        """Build the client (no request is sent). Raises ValueError for a blank user agent."""
        _check_user_agent(user_agent)
        super().__init__(
            client or self._default_client(user_agent, timeout),
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            error_wait_seconds=error_wait_seconds,
        )


class NominatimGeocoder(_RateLimitedGeocoder):
    """OpenStreetMap Nominatim, limited to the public server's 1 request per second.

    Queries are restricted to the United States (``countrycodes=us``), like the voter files.
    """

    name = "nominatim"
    default_min_delay_seconds = 1.0

    def __init__(
        self,
        user_agent: str,
        timeout: float = 10.0,
        *,
        domain: str = NOMINATIM_PUBLIC_DOMAIN,
        client: _GeocodeClient | None = None,
        min_delay_seconds: float | None = None,
        max_retries: int = 1,
        error_wait_seconds: float = 2.0,
    ) -> None:
        """Build the client (no request is sent).

        Raises ValueError when ``user_agent`` is blank or geopy's default (the usage policy
        requires an agent that identifies the application), or when a delay under 1 s is asked
        for on the public server.
        """
        _check_user_agent(user_agent)
        public = domain == NOMINATIM_PUBLIC_DOMAIN
        if public and min_delay_seconds is not None and min_delay_seconds < 1.0:
            raise ValueError("the public Nominatim server allows at most 1 request per second")
        super().__init__(
            client or Nominatim(user_agent=user_agent, timeout=timeout, domain=domain),
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            error_wait_seconds=error_wait_seconds,
        )

    def _query_kwargs(self) -> dict[str, Any]:
        return {"country_codes": "us"}

    def _precision(self, raw: dict[str, Any]) -> str:
        category = raw.get("class") or raw.get("category")
        kind = raw.get("type")
        addresstype = raw.get("addresstype")
        if category == "building" or kind in ("house", "building") or addresstype == "building":
            return "rooftop"
        if category == "highway" or addresstype in ("road", "street"):
            return "street"
        if kind == "postcode" or addresstype == "postcode":
            return "zip_centroid"
        if kind in ("city", "town", "village", "hamlet") or addresstype in ("city", "town"):
            return "city"
        return "approximate"


class ArcGISGeocoder(_ServiceGeocoder):
    """Esri's World Geocoding Service (anonymous), at most 2 requests per second."""

    name = "arcgis"
    default_min_delay_seconds = 0.5

    _ROOFTOP: ClassVar[frozenset[str]] = frozenset({"PointAddress", "Subaddress"})
    _STREET: ClassVar[frozenset[str]] = frozenset(
        {"StreetAddress", "StreetAddressExt", "StreetInt", "StreetMidBlock", "StreetName"}
    )
    _ZIP: ClassVar[frozenset[str]] = frozenset({"Postal", "PostalExt", "PostalLoc"})

    @staticmethod
    def _default_client(user_agent: str, timeout: float) -> _GeocodeClient:
        return ArcGIS(user_agent=user_agent, timeout=timeout)

    def _query_kwargs(self) -> dict[str, Any]:
        return {"out_fields": ["Addr_type"]}

    def _precision(self, raw: dict[str, Any]) -> str:
        addr_type = (raw.get("attributes") or {}).get("Addr_type", "")
        if addr_type in self._ROOFTOP:
            return "rooftop"
        if addr_type in self._STREET:
            return "street"
        if addr_type in self._ZIP:
            return "zip_centroid"
        if addr_type == "Locality":
            return "city"
        return "approximate"


class CensusClient(geopy.geocoders.base.Geocoder):
    """geopy-style client for the US Census Bureau's one-line address geocoder."""

    api_path: ClassVar[str] = "/geocoder/locations/onelineaddress"

    def __init__(
        self,
        *,
        benchmark: str = "Public_AR_Current",
        domain: str = "geocoding.geo.census.gov",
        scheme: str | None = None,
        timeout: float | object = DEFAULT_SENTINEL,
        user_agent: str | None = None,
        adapter_factory: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(
            scheme=scheme, timeout=timeout, user_agent=user_agent, adapter_factory=adapter_factory
        )
        self.benchmark = benchmark
        self.api = f"{self.scheme}://{domain.strip('/')}{self.api_path}"

    def geocode(
        self, query: str, *, exactly_one: bool = True, timeout: float | object = DEFAULT_SENTINEL
    ) -> Location | list[Location] | None:
        """Geocode a one-line US address (``"4600 Silver Hill Rd, Washington, DC 20233"``).

        Raises geopy's ``GeocoderServiceError`` subclasses on HTTP or network failures and
        ``GeocoderParseError`` on an unexpected response.
        """
        params = {"address": query, "benchmark": self.benchmark, "format": "json"}
        url = f"{self.api}?{urlencode(params)}"
        callback = partial(self._parse_json, exactly_one=exactly_one)
        return self._call_geocoder(url, callback, timeout=timeout)

    def _parse_json(
        self, response: dict[str, Any], exactly_one: bool
    ) -> Location | list[Location] | None:
        if "errors" in response:
            raise GeocoderServiceError("; ".join(map(str, response["errors"])))
        try:
            matches = response["result"]["addressMatches"]
            locations = [
                Location(
                    match["matchedAddress"],
                    (float(match["coordinates"]["y"]), float(match["coordinates"]["x"])),
                    match,
                )
                for match in matches
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise GeocoderParseError(f"unexpected Census geocoder response: {exc!r}") from exc
        if not locations:
            return None
        return locations[0] if exactly_one else locations


class CensusGeocoder(_ServiceGeocoder):
    """US Census Bureau geocoder: street-level (address-range interpolation), 0.5 s apart."""

    name = "census"
    default_min_delay_seconds = 0.5

    @staticmethod
    def _default_client(user_agent: str, timeout: float) -> _GeocodeClient:
        return CensusClient(user_agent=user_agent, timeout=timeout)

    def _precision(self, raw: dict[str, Any]) -> str:
        # Census points are interpolated along TIGER/Line address ranges, never rooftops.
        return "street"


# A US ZIP (optionally ZIP+4) at the very end of a one-line address, optionally followed by
# the country. Anchoring at the end keeps 5-digit house numbers from being read as ZIPs.
_TRAILING_ZIP = re.compile(
    r"(?<!\d)(\d{5})(?:-?\d{4})?\s*(?:,?\s*(?:USA|US|United States(?: of America)?)\.?)?\s*$",
    re.IGNORECASE,
)


class ZipCentroidGeocoder:
    """Offline geocoder: the centre of the address's trailing ZIP code, marked approximate."""

    name = "zip_centroid"

    def geocode(self, address: str) -> GeocodeResult | None:
        """Return the ZIP centroid of an address that ends in a ZIP, else None. Never raises."""
        match = _TRAILING_ZIP.search(address or "")
        if match is None:
            return None
        point = zip_centroid(match.group(1))
        if point is None:
            return None
        return GeocodeResult(
            lat=point[0],
            lon=point[1],
            source=self.name,
            precision="zip_centroid",
            matched_address=match.group(1),
        )


class FallbackGeocoder:
    """Ask ``primary`` first; use ``fallback`` on a network error, timeout or no match."""

    def __init__(self, primary: Geocoder, fallback: Geocoder) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = f"{primary.name}+{fallback.name}"

    def geocode(self, address: str) -> GeocodeResult | None:
        """Return the primary's answer, or the fallback's when the primary fails or misses.

        Service errors (``geopy.exc.GeocoderServiceError``, including timeouts, outages, rate
        limiting and quota) and OS-level network errors are logged and swallowed; anything else
        (e.g. a programming error or ``geopy.exc.ConfigurationError``) propagates. Errors from
        the fallback propagate.
        """
        try:
            result = self.primary.geocode(address)
        except (GeocoderServiceError, OSError) as exc:
            logger.warning(
                "geocoder %s failed (%s); falling back to %s",
                self.primary.name,
                type(exc).__name__,
                self.fallback.name,
            )
            result = None
        if result is not None:
            return result
        return self.fallback.geocode(address)


def _check_user_agent(user_agent: str) -> None:
    if not user_agent or not user_agent.strip():
        raise ValueError("a geocoder needs a user agent that identifies this FieldCRM instance")
    if user_agent.strip().lower().startswith("geopy/"):
        raise ValueError("use an identifying user agent, not geopy's default")


GEOCODER_NAMES: Final = ("nominatim", "arcgis", "census", "offline")

_NETWORK_GEOCODERS: Final[dict[str, type[_RateLimitedGeocoder]]] = {
    "nominatim": NominatimGeocoder,
    "arcgis": ArcGISGeocoder,
    "census": CensusGeocoder,
}


def build_geocoder(name: str | None, user_agent: str, timeout: float) -> Geocoder:
    """Return the geocoder a config value names.

    ``None``, ``""`` or ``"offline"`` give the :class:`ZipCentroidGeocoder` (no network).
    ``"nominatim"``, ``"arcgis"`` and ``"census"`` give that rate-limited service wrapped in a
    :class:`FallbackGeocoder` whose fallback is the ZIP centroid. Names are case-insensitive.
    No request is sent. Raises ValueError for an unknown name, a non-positive timeout, or a
    blank or default user agent (network geocoders only).
    """
    key = (name or "offline").strip().lower() or "offline"
    if key == "offline":
        return ZipCentroidGeocoder()
    if key not in _NETWORK_GEOCODERS:
        raise ValueError(
            f"unknown geocoder {name!r}; expected one of {', '.join(GEOCODER_NAMES)} or None"
        )
    if not timeout > 0:
        raise ValueError(f"geocoder timeout must be positive seconds, got {timeout!r}")
    primary = _NETWORK_GEOCODERS[key](user_agent, timeout)
    return FallbackGeocoder(primary, ZipCentroidGeocoder())


_UNIT = re.compile(
    r"\s(?:#|(?:apt|apartment|unit|ste|suite|rm|room|fl|floor|bldg|lot|spc|space)\b).*$"
)
_SUFFIXES: Final = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "parkway": "pkwy",
    "highway": "hwy",
    "circle": "cir",
    "square": "sq",
    "trail": "trl",
    "way": "way",
    "expressway": "expy",
    "turnpike": "tpke",
}
_COMPASS: Final = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def normalize_address_key(
    line1: str | None, city: str | None, state: str | None, zip5: str | None
) -> str:
    """Return a stable cache key for an address, e.g. ``"12 n main st|springfield|il|62701"``.

    Case, punctuation and spacing are ignored; a unit (``Apt 4``, ``# 4``, ``Unit B``…) is
    dropped because households in one building share a location; common street suffixes
    (Street, Avenue…) are abbreviated; ``North``… become ``n``… only as a prefix after the house
    number followed by at least two more words (so ``100 North St`` stays distinct from
    ``100 N St``); ZIP+4 is cut to five digits. Changing these rules invalidates stored keys.
    Never raises.
    """
    street = _UNIT.sub("", " " + _clean(line1)).strip()
    words = street.split()
    for i, word in enumerate(words):
        if i > 0 and word in _SUFFIXES:
            words[i] = _SUFFIXES[word]
    if len(words) >= 4 and words[0][:1].isdigit() and words[1] in _COMPASS:
        words[1] = _COMPASS[words[1]]
    if words and words[-1] in _COMPASS and len(_COMPASS[words[-1]]) == 2:
        words[-1] = _COMPASS[words[-1]]
    digits = re.sub(r"\D", "", zip5 or "")
    return "|".join((" ".join(words), _clean(city), _clean(state), digits[:5]))


def _clean(value: str | None) -> str:
    text = (value or "").casefold()
    text = re.sub(r"[.,;:'\"()]", " ", text)
    return " ".join(text.split())


def one_line_address(
    line1: str | None, city: str | None, state: str | None, zip5: str | None
) -> str:
    """Join address parts as ``"12 Main St, Springfield, IL 62701"``, skipping blanks.

    The trailing ZIP is what :class:`ZipCentroidGeocoder` reads. Never raises.
    """
    state_zip = " ".join(p for p in ((state or "").strip(), (zip5 or "").strip()) if p)
    parts = [(line1 or "").strip(), (city or "").strip(), state_zip]
    return ", ".join(p for p in parts if p)
