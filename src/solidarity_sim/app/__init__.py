"""The classroom page (Mesa SolaraViz): :mod:`.page` builds it, :mod:`.views` draws it."""
