import threading
import time

from briefgen.once import Once


def test_the_value_is_built_once_however_many_threads_ask_at_once() -> None:
    built: list[int] = []

    def factory() -> list[int]:
        time.sleep(0.05)  # long enough for every thread to arrive while the first builds
        built.append(1)
        return built

    shared = Once(factory)
    got: list[list[int]] = []
    threads = [threading.Thread(target=lambda: got.append(shared())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1]
    assert len(got) == 8 and all(g is got[0] for g in got)
