"""`python -m bench.pages --size N`: three pages' server time, for comparing two builds (not a test).

Loads N synthetic cases (bench.generate) and times, in-process through Django's test client as
centre staff: the queue's first page, a case page (its parties decrypted), and an intake POST that
registers a case with two parties (sealed, indexed, the repeat-party warning looked up, the
audit chain extended). Prints the median and the 90th percentile of each, in milliseconds, then
each with the personal data sealed over the same without (bench.sealing).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DEBUG", "0")
os.environ.pop("FENGQIAO_PRODUCTION", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.generate import generate  # noqa: E402
from bench.sealing import intake_form, measure_sealing  # noqa: E402
from casework.models import Category, DisputeCase  # noqa: E402
from casework.selectors import grids_open_to  # noqa: E402


def timed(fn, iterations: int) -> dict:
    fn()  # warm
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median": statistics.median(samples), "p90": samples[int(len(samples) * 0.9) - 1]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--iterations", type=int, default=40)
    args = parser.parse_args()
    centre = generate(args.size)["centre"]
    client = Client()
    client.force_login(centre)
    queue = reverse("casework:queue")
    case = DisputeCase.objects.filter(subdistrict_id=centre.subdistrict_id).order_by("-registered_at", "-id").first()
    case_url = reverse(settings.FENGQIAO_CASE_URL_NAME, args=[case.pk])
    grid = grids_open_to(centre).first()
    category = Category.objects.filter(active=True).first()
    counter = iter(range(10**6))

    def get(url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return run

    def intake():
        response = client.post(reverse("casework:intake"), intake_form(grid, category, next(counter)))
        assert response.status_code == 302, response.content.decode()[:2000]

    for name, fn in (("queue", get(queue)), ("case page", get(case_url)), ("intake", intake)):
        figures = timed(fn, args.iterations)
        print(f"{name:10s} median {figures['median']:7.1f} ms   p90 {figures['p90']:7.1f} ms")
    print("The same pages with the parties' personal data sealed vs plain, alternated:")
    measure_sealing(client, centre, iterations=args.iterations)


if __name__ == "__main__":
    main()
