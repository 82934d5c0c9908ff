"""trendsum.reports"""
