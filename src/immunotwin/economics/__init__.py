"""Health economics of virtual trials: costs, life-years, QALYs, ICERs and uncertainty."""
