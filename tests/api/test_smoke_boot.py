def test_categories_are_seeded(api):
    response = api.get("/api/v1/categories")
    assert response.status_code == 200
    codes = {c["code"]: c for c in response.get_json()["items"]}
    assert set(codes) == {"garbage", "shopping", "light_bulb"}
