"""Tests that need a server, a browser or a build beside Python (marked ``system``)."""
