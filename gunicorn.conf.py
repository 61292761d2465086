"""gunicorn settings read from the working directory (production and `make bench` alike)."""
import gc


def post_worker_init(worker):
    # Everything loaded so far (the app, its templates, SQLAlchemy's mappers) lives as long as the worker:
    # take it out of the garbage collector's generations, so each full collection walks only the
    # objects of recent requests.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


# Access-log lines without the tokens of set-password and activation links.
logger_class = "blueprints.access_log.TokenFreeLogger"
