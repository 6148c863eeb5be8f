"""The names the Celery side and its operators share: queues, tasks, Redis keys."""

from __future__ import annotations

SEND_QUEUE = "pregonero.send"  # sends only: a worker may consume just this one (-Q)
BEAT_QUEUE = "pregonero.beat"  # beat's tasks, so they never wait behind sends
CALLBACK_QUEUE = "pregonero.callbacks"  # calls to backend systems, apart from both


class Task:
    """Task names, as Flower and ``celery inspect`` show them."""

    SEND_CHUNK = "pregonero.send_chunk"
    CALLBACKS = "pregonero.callbacks"  # asked for by the housekeeper when one is due
    POLL_BALANCE = "pregonero.poll_balance"  # beat's periodic tasks: the balance,
    RETENTION = "pregonero.retention"  # and retention, once a day


# The shared limiter, one pair of keys per provider account.
LIMITER_NEXT_KEY = "pregonero:limiter:{account}:next"  # the next start slot (Redis TIME)
LIMITER_INFLIGHT_KEY = "pregonero:limiter:{account}:inflight"  # tokens scored by lease end
LIMITER_START_KEY = "pregonero:limiter:{account}:start"  # the last request's actual start
