"""Per-client-IP limits: 5 requests/s and 200/min by default, answered with 429 and Retry-After."""

from sandbox.limits import RateLimiter

# Windows far longer than a burst takes on a busy machine; the tests move the sandbox's clock past them.
LONG_SECOND = 30.0


def burst(api, n, forwarded_for=None):
    headers = api.headers(forwarded_for=forwarded_for)
    return [api.call("get_booking_form_config", "/bookform/1", headers=headers) for _ in range(n)]


def test_limits_are_on_by_default():
    from sandbox import SandboxConfig

    config = SandboxConfig()
    assert (config.rate_limit, config.per_second, config.per_minute) == (True, 5, 200)


def test_sixth_request_in_a_second_gets_429(api, sb):
    sb.configure(rate_limit=True, second_window_s=LONG_SECOND)
    answers = burst(api, 7)
    assert [a.status for a in answers] == [200] * 5 + [429] * 2
    limited = answers[-1]
    assert limited.json == {"success": False, "data": None, "meta": {"message": "Too many requests"}}
    assert int(limited.headers["Retry-After"]) >= 1
    assert [e["status"] for e in sb.requests()][-2:] == [429, 429]


def test_second_window_slides(api, sb):
    sb.configure(rate_limit=True, per_second=3, second_window_s=LONG_SECOND)
    assert [a.status for a in burst(api, 4)] == [200, 200, 200, 429]
    sb.clock.advance(LONG_SECOND + 0.5)  # the windows run on the sandbox's clock: moved, not waited for
    assert [a.status for a in burst(api, 3)] == [200, 200, 200]


def test_minute_limit_with_a_short_window(api, sb):
    sb.configure(rate_limit=True, per_second=1000, per_minute=10)
    answers = burst(api, 12)
    assert [a.status for a in answers] == [200] * 10 + [429] * 2
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    sb.clock.advance(60.5)
    assert burst(api, 1)[0].status == 200


def test_limits_key_on_forwarded_for_only_when_trusted(api, sb):
    sb.configure(rate_limit=True, per_second=2, second_window_s=LONG_SECOND)
    assert [a.status for a in burst(api, 2, "10.0.0.1")] == [200, 200]
    assert burst(api, 1, "10.0.0.2")[0].status == 429  # not trusted: everyone is 127.0.0.1
    sb.reset()
    sb.configure(trust_forwarded_for=True, second_window_s=LONG_SECOND)
    assert [a.status for a in burst(api, 3, "10.0.0.1")] == [200, 200, 429]
    assert [a.status for a in burst(api, 2, "10.0.0.2, 172.16.0.1")] == [200, 200]
    assert {e["client_ip"] for e in sb.requests()} == {"10.0.0.1", "10.0.0.2"}


def test_admin_is_never_limited(api, sb):
    sb.configure(rate_limit=True, per_second=1)
    burst(api, 3)
    for _ in range(10):
        assert api.http.request("GET", sb.url + "/__admin/health").status == 200


def test_rate_limiter_sliding_windows_and_retry_after():
    limiter = RateLimiter()
    limits = dict(per_second=5, per_minute=200, second_s=1.0, minute_s=60.0)
    assert [limiter.hit("a", 100.0 + i * 0.1, **limits) for i in range(5)] == [0] * 5
    assert limiter.hit("a", 100.5, **limits) == 1  # 100.0 leaves the window at 101.0
    assert limiter.hit("b", 100.5, **limits) == 0  # another client
    assert limiter.hit("a", 101.05, **limits) == 0
    # 200 per minute: the 201st waits until the oldest of them is a minute old.
    for i in range(194):
        assert limiter.hit("a", 102.0 + i * 0.25, **limits) == 0
    assert limiter.hit("a", 150.5, **limits) == 10  # the oldest (100.0) is a minute old at 160.0
    assert limiter.hit("a", 159.5, **limits) == 1
    assert limiter.hit("a", 160.0, **limits) == 0
