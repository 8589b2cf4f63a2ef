"""Client code written the way its users write it, for the in-process interception tests.

Each module calls the vendor's real URL, hard-coded, with one HTTP library, and none of them
knows about the kit: the tests run them unmodified under the ``densemark`` fixture and under
``emulate()``.
"""
