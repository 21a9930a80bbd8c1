"""Helpers for end-to-end tests in the sample host (fixture ``make_host`` in conftest)."""

from __future__ import annotations


def login(client, username):
    client.get("/logout")
    response = client.post("/login", data={"username": username, "password": f"demo-{username}"})
    assert response.status_code == 302, username
