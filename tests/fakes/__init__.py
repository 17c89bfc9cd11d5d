"""Small typed fakes of host APIs (only at the host boundary), for the host adapter tests."""
