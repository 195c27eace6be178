"""``solidarity-sim classroom``: the address students open, and the teacher code's form."""

from __future__ import annotations

import argparse
import ipaddress

import pytest

from solidarity_sim.cli.app import shown_host, teacher_code


def test_the_join_address_is_one_other_devices_can_open():
    assert shown_host("127.0.0.1") == "localhost"
    assert shown_host("192.168.1.20") == "192.168.1.20"
    every = shown_host("0.0.0.0")  # this machine's address on its network (or localhost)
    assert every == "localhost" or not ipaddress.ip_address(every).is_unspecified


def test_a_teacher_code_is_four_to_32_letters_and_digits():
    assert teacher_code("class4b") == "CLASS4B"
    for bad in ("ab1", "two words", "x" * 33):
        with pytest.raises(argparse.ArgumentTypeError, match="give 4 to 32 letters and digits"):
            teacher_code(bad)
