"""Tests for fieldcrm.lib.geocode (no network: clients are fakes or use a fake HTTP adapter)."""

import socket
from typing import Any

import pytest
from geopy.adapters import BaseSyncAdapter
from geopy.exc import (
    ConfigurationError,
    GeocoderParseError,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)
from geopy.geocoders import ArcGIS, Nominatim
from geopy.location import Location

from fieldcrm.lib import geocode
from fieldcrm.lib.geocode import (
    ArcGISGeocoder,
    CensusClient,
    CensusGeocoder,
    FallbackGeocoder,
    GeocodeResult,
    NominatimGeocoder,
    ZipCentroidGeocoder,
    build_geocoder,
    normalize_address_key,
    one_line_address,
)

UA = "fieldcrm-tests/1.0 (ops@example.org)"


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch):
    """Fail loudly if anything here tries to open a network connection."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


class FakeAdapter(BaseSyncAdapter):
    """geopy HTTP adapter that answers from a canned payload and records requests."""

    payload: Any = None
    error: Exception | None = None
    requests: list[tuple[str, dict[str, str]]] = []

    def __init__(self, *, proxies: Any, ssl_context: Any) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    def get_json(self, url: str, *, timeout: float, headers: dict[str, str]) -> Any:
        type(self).requests.append((url, headers))
        if type(self).error is not None:
            raise type(self).error
        return type(self).payload

    def get_text(self, url: str, *, timeout: float, headers: dict[str, str]) -> str:
        raise NotImplementedError


def _adapter(payload: Any = None, error: Exception | None = None) -> type[FakeAdapter]:
    return type("Adapter", (FakeAdapter,), {"payload": payload, "error": error, "requests": []})


class FakeClient:
    """Stands in for a geopy geocoder: returns or raises queued outcomes in order."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def geocode(self, query: str, **kwargs: Any) -> Location | None:
        self.calls.append((query, kwargs))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class FakeGeocoder:
    """A Geocoder protocol fake with a fixed answer (or exception)."""

    def __init__(self, name: str, outcome: Any) -> None:
        self.name = name
        self.outcome = outcome
        self.calls: list[str] = []

    def geocode(self, address: str) -> GeocodeResult | None:
        self.calls.append(address)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


ADDRESS = "4 Brattle St, Cambridge, MA 02138"
ROOFTOP = GeocodeResult(42.3743, -71.1202, "fake", "rooftop", "4 Brattle St")


def test_nominatim_geocoder__parses_a_house_match_as_rooftop():
    adapter = _adapter(
        [
            {
                "lat": "42.3743",
                "lon": "-71.1202",
                "display_name": "4, Brattle Street, Cambridge, MA 02138, United States",
                "class": "place",
                "type": "house",
                "addresstype": "place",
            }
        ]
    )
    client = Nominatim(user_agent=UA, adapter_factory=adapter)
    result = NominatimGeocoder(UA, client=client).geocode(ADDRESS)
    assert result == GeocodeResult(
        42.3743,
        -71.1202,
        "nominatim",
        "rooftop",
        "4, Brattle Street, Cambridge, MA 02138, United States",
    )
    url, headers = adapter.requests[0]
    assert "countrycodes=us" in url
    assert headers["User-Agent"] == UA


@pytest.mark.parametrize(
    ("raw", "precision"),
    [
        ({"class": "building", "type": "yes"}, "rooftop"),
        ({"class": "highway", "type": "residential"}, "street"),
        ({"class": "place", "type": "postcode"}, "zip_centroid"),
        ({"class": "place", "type": "city"}, "city"),
        ({"class": "boundary", "type": "administrative"}, "approximate"),
    ],
)
def test_nominatim_geocoder__maps_precision(raw, precision):
    location = Location("somewhere", (42.0, -71.0), raw)
    geocoder = NominatimGeocoder(UA, client=FakeClient(location))
    assert geocoder.geocode(ADDRESS).precision == precision


def test_nominatim_geocoder__no_match_is_none():
    client = Nominatim(user_agent=UA, adapter_factory=_adapter([]))
    assert NominatimGeocoder(UA, client=client).geocode(ADDRESS) is None


def test_nominatim_geocoder__blank_address_sends_nothing():
    client = FakeClient()
    assert NominatimGeocoder(UA, client=client).geocode("   ") is None
    assert client.calls == []


@pytest.mark.parametrize("user_agent", ["", "   ", "geopy/2.4.1"])
def test_nominatim_geocoder__requires_an_identifying_user_agent(user_agent):
    with pytest.raises(ValueError, match="user agent"):
        NominatimGeocoder(user_agent)


def test_nominatim_geocoder__refuses_faster_than_one_per_second_on_public_server():
    with pytest.raises(ValueError, match="1 request per second"):
        NominatimGeocoder(UA, min_delay_seconds=0.5)


def test_nominatim_geocoder__self_hosted_server_may_go_faster():
    geocoder = NominatimGeocoder(UA, domain="nominatim.internal", min_delay_seconds=0.0)
    assert geocoder.rate_limiter.min_delay_seconds == 0.0


@pytest.mark.parametrize(
    ("addr_type", "precision"),
    [
        ("PointAddress", "rooftop"),
        ("StreetAddress", "street"),
        ("Postal", "zip_centroid"),
        ("Locality", "city"),
        ("POI", "approximate"),
    ],
)
def test_arcgis_geocoder__maps_addr_type_to_precision(addr_type, precision):
    adapter = _adapter(
        {
            "candidates": [
                {
                    "address": "4 Brattle St, Cambridge, Massachusetts, 02138",
                    "location": {"x": -71.1202, "y": 42.3743},
                    "score": 100,
                    "attributes": {"Addr_type": addr_type},
                }
            ]
        }
    )
    client = ArcGIS(user_agent=UA, adapter_factory=adapter)
    result = ArcGISGeocoder(UA, client=client).geocode(ADDRESS)
    assert (result.lat, result.lon, result.source) == (42.3743, -71.1202, "arcgis")
    assert result.precision == precision
    assert "outFields=Addr_type" in adapter.requests[0][0]


def test_census_client__parses_address_matches():
    adapter = _adapter(
        {
            "result": {
                "input": {"address": {"address": ADDRESS}},
                "addressMatches": [
                    {
                        "matchedAddress": "4 BRATTLE ST, CAMBRIDGE, MA, 02138",
                        "coordinates": {"x": -71.12021, "y": 42.37431},
                        "tigerLine": {"side": "L", "tigerLineId": "86953327"},
                    }
                ],
            }
        }
    )
    client = CensusClient(user_agent=UA, adapter_factory=adapter)
    result = CensusGeocoder(UA, client=client).geocode(ADDRESS)
    assert result == GeocodeResult(
        42.37431, -71.12021, "census", "street", "4 BRATTLE ST, CAMBRIDGE, MA, 02138"
    )
    url = adapter.requests[0][0]
    assert url.startswith("https://geocoding.geo.census.gov/geocoder/locations/onelineaddress?")
    assert "benchmark=Public_AR_Current" in url
    assert "format=json" in url


def test_census_client__no_match_is_none():
    client = CensusClient(adapter_factory=_adapter({"result": {"addressMatches": []}}))
    assert client.geocode(ADDRESS) is None


def test_census_client__error_payload_raises_service_error():
    client = CensusClient(adapter_factory=_adapter({"errors": ["Address cannot be empty"]}))
    with pytest.raises(GeocoderServiceError, match="cannot be empty"):
        client.geocode("")


def test_census_client__unexpected_payload_raises_parse_error():
    client = CensusClient(adapter_factory=_adapter({"result": {"addressMatches": [{}]}}))
    with pytest.raises(GeocoderParseError):
        client.geocode(ADDRESS)


@pytest.mark.parametrize(
    ("name", "cls", "delay"),
    [
        ("nominatim", NominatimGeocoder, 1.0),
        ("NOMINATIM", NominatimGeocoder, 1.0),
        ("arcgis", ArcGISGeocoder, 0.5),
        ("census", CensusGeocoder, 0.5),
    ],
)
def test_build_geocoder__network_service_is_rate_limited_with_zip_fallback(name, cls, delay):
    geocoder = build_geocoder(name, UA, timeout=7.0)
    assert isinstance(geocoder, FallbackGeocoder)
    assert isinstance(geocoder.primary, cls)
    assert isinstance(geocoder.fallback, ZipCentroidGeocoder)
    limiter = geocoder.primary.rate_limiter
    assert limiter.min_delay_seconds == delay
    assert limiter.swallow_exceptions is False
    assert limiter.func == geocoder.primary.client.geocode
    assert geocoder.primary.client.timeout == 7.0


@pytest.mark.parametrize("name", [None, "", "offline", " Offline "])
def test_build_geocoder__offline_is_zip_centroid(name):
    assert isinstance(build_geocoder(name, "", timeout=5.0), ZipCentroidGeocoder)


def test_build_geocoder__unknown_name_raises():
    with pytest.raises(ValueError, match="unknown geocoder 'google'"):
        build_geocoder("google", UA, timeout=5.0)


def test_build_geocoder__rejects_non_positive_timeout():
    with pytest.raises(ValueError, match="timeout"):
        build_geocoder("census", UA, timeout=0)


@pytest.mark.parametrize(
    "error", [GeocoderUnavailable("down"), GeocoderTimedOut("slow"), ConnectionResetError()]
)
def test_fallback_geocoder__falls_back_on_network_error(error):
    primary = FakeGeocoder("fake", error)
    result = FallbackGeocoder(primary, ZipCentroidGeocoder()).geocode(ADDRESS)
    assert result.precision == "zip_centroid"
    assert result.approximate is True
    assert (round(result.lat, 2), round(result.lon, 2)) == (42.38, -71.13)


def test_fallback_geocoder__falls_back_on_no_result():
    fallback = FakeGeocoder("backup", ROOFTOP)
    assert FallbackGeocoder(FakeGeocoder("fake", None), fallback).geocode(ADDRESS) is ROOFTOP
    assert fallback.calls == [ADDRESS]


def test_fallback_geocoder__primary_answer_wins():
    fallback = FakeGeocoder("backup", None)
    assert FallbackGeocoder(FakeGeocoder("fake", ROOFTOP), fallback).geocode(ADDRESS) is ROOFTOP
    assert fallback.calls == []


@pytest.mark.parametrize("error", [ConfigurationError("bad"), ValueError("bug")])
def test_fallback_geocoder__does_not_hide_other_errors(error):
    geocoder = FallbackGeocoder(FakeGeocoder("fake", error), ZipCentroidGeocoder())
    with pytest.raises(type(error)):
        geocoder.geocode(ADDRESS)


@pytest.mark.parametrize("error", [GeocoderUnavailable("down"), GeocoderTimedOut("slow")])
def test_fallback_geocoder__real_wrapper_error_after_retries_falls_back(error):
    client = FakeClient(error, error)
    primary = CensusGeocoder(
        UA, client=client, min_delay_seconds=0.0, max_retries=1, error_wait_seconds=0.0
    )
    result = FallbackGeocoder(primary, ZipCentroidGeocoder()).geocode(ADDRESS)
    assert result.source == "zip_centroid"
    assert len(client.calls) == 2  # one try plus one retry


def test_rate_limited_geocoder__retries_then_succeeds():
    location = Location("4 BRATTLE ST", (42.37, -71.12), {})
    client = FakeClient(GeocoderTimedOut("slow"), location)
    geocoder = CensusGeocoder(UA, client=client, min_delay_seconds=0.0, error_wait_seconds=0.0)
    assert geocoder.geocode(ADDRESS).lat == 42.37
    assert len(client.calls) == 2


def test_rate_limited_geocoder__waits_min_delay_between_calls(monkeypatch):
    now = [100.0]
    call_times: list[float] = []

    class TimedClient:
        def geocode(self, query: str, **kwargs: Any) -> Location:
            call_times.append(now[0])
            return Location("x", (42.0, -71.0), {"class": "building"})

    def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    geocoder = NominatimGeocoder(UA, client=TimedClient())
    monkeypatch.setattr(geocoder.rate_limiter, "_clock", lambda: now[0])
    monkeypatch.setattr(geocoder.rate_limiter, "_sleep", fake_sleep)
    for _ in range(3):
        geocoder.geocode(ADDRESS)
    assert len(call_times) == 3
    assert all(b - a >= 1.0 for a, b in zip(call_times, call_times[1:], strict=False))


@pytest.mark.parametrize(
    ("address", "zip5"),
    [
        ("4 Brattle St, Cambridge, MA 02138", "02138"),
        ("4 Brattle St, Cambridge, MA 02138-3702", "02138"),
        ("4 Brattle St, Cambridge, MA 02138, USA", "02138"),
    ],
)
def test_zip_centroid_geocoder__reads_trailing_zip(address, zip5):
    result = ZipCentroidGeocoder().geocode(address)
    assert (result.source, result.precision, result.matched_address) == (
        "zip_centroid",
        "zip_centroid",
        zip5,
    )


@pytest.mark.parametrize(
    "address", ["", "12345 Main St, Springfield", "1 Main St, Nowhere, ZZ 00000", "02138 Main St"]
)
def test_zip_centroid_geocoder__no_trailing_known_zip_is_none(address):
    assert ZipCentroidGeocoder().geocode(address) is None


def test_geocoder_protocol__implementations_conform():
    for geocoder in (ZipCentroidGeocoder(), NominatimGeocoder(UA), build_geocoder("census", UA, 5)):
        assert isinstance(geocoder, geocode.Geocoder)


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        (("12 Main Street", "Springfield", "IL", "62701"), "12 main st|springfield|il|62701"),
        (("12  MAIN ST.", " springfield ", "il", "62701-1234"), "12 main st|springfield|il|62701"),
        (("12 Main St Apt 4B", "Springfield", "IL", "62701"), "12 main st|springfield|il|62701"),
        (("12 Main St #4", "Springfield", "IL", "62701"), "12 main st|springfield|il|62701"),
        (("12 North Main Avenue", "X", "IL", ""), "12 n main ave|x|il|"),
        (("12 North St", "X", "IL", ""), "12 north st|x|il|"),
        (("1600 Pennsylvania Ave Northwest", "Washington", "DC", ""), None),
        ((None, None, None, None), "|||"),
    ],
)
def test_normalize_address_key__variants(parts, key):
    result = normalize_address_key(*parts)
    if key is None:
        assert result == "1600 pennsylvania ave nw|washington|dc|"
    else:
        assert result == key


def test_normalize_address_key__north_street_differs_from_n_street():
    assert normalize_address_key("100 North St", "Washington", "DC", "20001") != (
        normalize_address_key("100 N St", "Washington", "DC", "20001")
    )


def test_one_line_address__joins_and_skips_blanks():
    assert one_line_address("4 Brattle St", "Cambridge", "MA", "02138") == ADDRESS
    assert one_line_address("4 Brattle St", "", None, "02138") == "4 Brattle St, 02138"
