"""The load generator, run in its own process (Settled question 28) by home.bench.load: simulated
people sign in through the real sign-in form during an unmeasured warm-up, then each opens pages of
their role's journeys with 5-15 s of thought between requests. Standard library only: threads and
urllib, one cookie jar per person. Prints one JSON object (requests, errors, times) on stdout.

    python -m home.bench.load_client --base-url http://127.0.0.1:8123 --plan plan.json --users 50 --run-time 120
"""

import argparse
import http.cookiejar
import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person:
    def __init__(self, base_url: str, journey: dict, chance: random.Random, code: str = "") -> None:
        self.base_url = base_url
        self.journey = journey
        self.chance = chance
        self.code = code  # a recovery code of the run, for a sign-in that asks for a second factor
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.times_ms: list[float] = []
        self.page_times_ms: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(self.base_url + path, timeout=60) as response:
            return response.status, response.geturl(), response.read().decode("utf-8", "replace")

    def sign_in(self) -> bool:
        _, _, page = self.get("/sign-in/")
        token = CSRF.search(page)
        if not token:
            return False
        form = {"username": self.journey["email"], "password": self.journey["password"]}
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token[1]}).encode()
        request = urllib.request.Request(self.base_url + "/sign-in/", data=data, headers={"Referer": self.base_url})
        with self.opener.open(request, timeout=60) as response:
            page = response.read().decode("utf-8", "replace")
            if "/sign-in/code/" in response.geturl() and self.code and (token := CSRF.search(page)):
                return self.second_step(token[1])
            return "/sign-in/" not in response.geturl()

    def second_step(self, csrf: str) -> bool:
        data = urllib.parse.urlencode({"code": self.code, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(
            self.base_url + "/sign-in/code/", data=data, headers={"Referer": self.base_url}
        )
        with self.opener.open(request, timeout=60) as response:
            response.read()
            return "/sign-in/" not in response.geturl()

    def visit(self, path: str, page: str = "") -> None:
        started = time.perf_counter()
        try:
            status, final_url, _ = self.get(path)
            problem = "" if status == 200 and "/sign-in/" not in final_url else f"{status} {final_url}"
        except (urllib.error.URLError, OSError) as error:
            problem = f"{path}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        self.times_ms.append(elapsed)
        self.page_times_ms.setdefault(page or path, []).append(elapsed)
        if problem:
            self.errors.append(f"{path}: {problem}")

    def run(self, start: threading.Event, deadline: list[float], think: tuple[float, float]) -> None:
        start.wait()
        # Not everyone clicks at the same moment: each starts somewhere in a first thought.
        time.sleep(self.chance.uniform(0, think[1]))
        while time.monotonic() < deadline[0]:
            turn = self.chance.randrange(len(self.journey["urls"]))
            pages = self.journey.get("pages") or []
            self.visit(self.journey["urls"][turn], pages[turn] if turn < len(pages) else "")
            time.sleep(min(self.chance.uniform(*think), max(0.0, deadline[0] - time.monotonic())))


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[max(1, -(-share * len(ordered) // 100)) - 1] if ordered else 0.0


def _by_page(people: list["Person"]) -> list[dict[str, object]]:
    """Each page's requests, median and p95 under the load, the slowest p95 first."""
    times: dict[str, list[float]] = {}
    for person in people:
        for page, page_times in person.page_times_ms.items():
            times.setdefault(page, []).extend(page_times)
    slowest_first = sorted(times.items(), key=lambda item: (-percentile(item[1], 95), item[0]))
    return [
        {
            "page": page,
            "requests": len(values),
            "median_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
        }
        for page, values in slowest_first
    ]


def _code(journey: dict, turn: int) -> str:
    """The turn-th simulated person on this journey gets its turn-th recovery code: each works once."""
    codes = journey.get("codes") or []
    return codes[turn] if turn < len(codes) else ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--plan", required=True, help="JSON: a list of {email, password, urls, codes}")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--run-time", type=float, default=120)
    parser.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0))
    parser.add_argument("--seed", type=int, default=13)
    options = parser.parse_args(argv)
    with open(options.plan, encoding="utf-8") as handle:
        journeys = json.load(handle)
    chance = random.Random(options.seed)
    people = [
        Person(options.base_url, journey, random.Random(chance.random()), _code(journey, number // len(journeys)))
        for number in range(options.users)
        for journey in [journeys[number % len(journeys)]]
    ]
    # The warm-up, unmeasured: everyone signs in (the password hashing) and opens their home page.
    with ThreadPoolExecutor(max_workers=8) as pool:
        signed_in = [person for person, ok in zip(people, pool.map(Person.sign_in, people), strict=True) if ok]
        list(pool.map(lambda person: person.get("/"), signed_in))
    start, deadline = threading.Event(), [0.0]
    threads = [
        threading.Thread(target=person.run, args=(start, deadline, tuple(options.think)), daemon=True)
        for person in signed_in
    ]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + options.run_time
    start.set()
    for thread in threads:
        thread.join()
    times = [ms for person in signed_in for ms in person.times_ms]
    errors = [error for person in signed_in for error in person.errors]
    result = {
        "people": options.users,
        "signed_in": len(signed_in),
        "run_time_s": options.run_time,
        "think_s": list(options.think),
        "requests": len(times),
        "requests_per_s": round(len(times) / options.run_time, 2),
        "median_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times, default=0.0), 1),
        "errors": len(errors) + (options.users - len(signed_in)),
        "error_examples": errors[:5],
        "pages": _by_page(signed_in),
    }
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
