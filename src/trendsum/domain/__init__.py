"""trendsum.domain"""
