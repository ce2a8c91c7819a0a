"""Draws captchas with the real django-simple-captcha (Debian: python3-django-captcha), as a
site with its defaults serves them: four upper-case letters, per-letter rotation, arcs and
dots, PNG. Django is configured in-process (an in-memory SQLite database, migrate, no web
server); each image comes from CaptchaStore.generate_key() and the captcha_image view.

Usage: python3 django_captcha.py SEED START COUNT OUTDIR
       python3 django_captcha.py --probe   (checks what a run needs and draws nothing: exit 0, or 3 and the reason)
Writes OUTDIR/<i>_<challenge>.png for i = START .. START+COUNT-1 and prints "<file>\t<challenge>".

Determinism: the challenge comes from the module `random`, which we seed with "SEED:i" per
image. The view seeds `random` again with the store's hashkey, which the library makes from
SystemRandom and time.time(); we replace those two (captcha.models.randrange and .time) with a
seeded generator and a fixed clock, so image i depends only on the seed and its index.
"""

import random
import sys


def main(argv):
    probe = len(argv) == 2 and argv[1] == "--probe"
    if not probe and len(argv) != 5:
        sys.stderr.write("usage: python3 django_captcha.py SEED START COUNT OUTDIR | --probe\n")
        return 2
    try:
        import django
        from django.conf import settings
    except ImportError:
        sys.stderr.write("Django is not installed: apt-get install python3-django-captcha\n")
        return 3
    settings.configure(
        DEBUG=False,
        SECRET_KEY="captcha-nn test data",
        INSTALLED_APPS=["django.contrib.contenttypes", "captcha"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
    try:
        django.setup()
    except ImportError:
        sys.stderr.write("django-simple-captcha is not installed: apt-get install python3-django-captcha\n")
        return 3
    try:
        # The view draws with Pillow.
        from captcha.views import captcha_image
    except ImportError as e:
        sys.stderr.write(f"django-simple-captcha cannot load its image view ({e}): apt-get install python3-django-captcha\n")
        return 3
    if probe:
        return 0
    _, seed, start, count, out = argv
    from django.core.management import call_command
    from django.test import RequestFactory

    call_command("migrate", verbosity=0)
    import captcha.models
    from captcha.models import CaptchaStore

    class FixedClock:
        @staticmethod
        def time():
            return 0.0

    captcha.models.time = FixedClock
    request = RequestFactory().get("/")
    for i in range(int(start), int(start) + int(count)):
        random.seed(f"{seed}:{i}")
        captcha.models.randrange = random.Random(f"{seed}:{i}:key").randrange
        key = CaptchaStore.generate_key()
        challenge = CaptchaStore.objects.get(hashkey=key).challenge
        response = captcha_image(request, key)
        if response.status_code != 200:
            sys.stderr.write(f"captcha_image answered HTTP {response.status_code} for image {i}\n")
            return 1
        name = f"{i}_{challenge}.png"
        with open(f"{out}/{name}", "wb") as f:
            f.write(response.content)
        print(f"{name}\t{challenge}", flush=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
